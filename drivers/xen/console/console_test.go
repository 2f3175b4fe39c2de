package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// setup resets the package and connects it to a fresh fake backend.
func setup(t *testing.T) *xentest.Console {
	t.Helper()
	reset()
	t.Cleanup(reset)
	c := xentest.NewConsole()
	Setup(c.Addr(), 3, c.Notify, c.Wait)
	return c
}

func reset() {
	ring, port, notify, wait = 0, 0, nil, nil
	earlyLen, lost = 0, 0
}

func TestLayoutMatchesFake(t *testing.T) {
	pairs := [][2]int{
		{OffIn, xentest.ConsIn}, {InSize, xentest.ConsInSize}, {OffOut, xentest.ConsOut},
		{OutSize, xentest.ConsOutSize}, {OffInCons, xentest.ConsInCons}, {OffInProd, xentest.ConsInProd},
		{OffOutCons, xentest.ConsOutCons}, {OffOutProd, xentest.ConsOutProd},
	}
	for i, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("constant %d: driver %d, fake %d", i, p[0], p[1])
		}
	}
	if OffOut != OffIn+InSize || OffInCons != OffOut+OutSize {
		t.Error("rings overlap or leave gaps")
	}
}

func TestWrite(t *testing.T) {
	c := setup(t)
	if n := WriteString("hello, xen\n"); n != 11 {
		t.Fatalf("WriteString = %d", n)
	}
	if got := c.Output(); got != "hello, xen\n" {
		t.Fatalf("output %q", got)
	}
	if c.Notifies == 0 {
		t.Fatal("backend never notified")
	}
}

func TestWriteWrapsAndWaits(t *testing.T) {
	c := setup(t)
	c.ConsumeLimit = 700 // the backend is slower than the writer
	var want bytes.Buffer
	for i := 0; want.Len() < 5*OutSize+123; i++ {
		want.WriteString(strings.Repeat(string(rune('a'+i%26)), 1+i%97))
	}
	if n := Write(want.Bytes()); n != want.Len() {
		t.Fatalf("Write = %d, want %d", n, want.Len())
	}
	if c.Waits == 0 {
		t.Fatal("Write never waited although the ring was full")
	}
	if got := c.Output(); got != want.String() {
		t.Fatalf("output differs: got %d bytes, want %d", len(got), want.Len())
	}
	if Lost() != 0 {
		t.Fatalf("Lost = %d", Lost())
	}
}

func TestIndexWrapAround(t *testing.T) {
	c := setup(t)
	c.SetIndices(0xffffffff - 100) // indices overflow during the write
	c.ConsumeLimit = 1000
	msg := bytes.Repeat([]byte("0123456789"), 500)
	Write(msg)
	if got := c.Output(); got != string(msg) {
		t.Fatalf("output across index wrap differs (%d bytes)", len(got))
	}
}

func TestEarlyOutput(t *testing.T) {
	reset()
	t.Cleanup(reset)
	WriteString("early 1\n")
	WriteString("early 2\n")
	if Ready() {
		t.Fatal("Ready before Setup")
	}
	c := xentest.NewConsole()
	Setup(c.Addr(), 1, c.Notify, c.Wait)
	WriteString("late\n")
	if got := c.Output(); got != "early 1\nearly 2\nlate\n" {
		t.Fatalf("output %q", got)
	}
}

func TestEarlyOverflow(t *testing.T) {
	reset()
	t.Cleanup(reset)
	big := bytes.Repeat([]byte{'x'}, EarlySize+10)
	Write(big)
	if Lost() != 10 {
		t.Fatalf("Lost = %d, want 10", Lost())
	}
	c := xentest.NewConsole()
	c.ConsumeLimit = 512
	Setup(c.Addr(), 1, c.Notify, c.Wait)
	if got := c.Output(); len(got) != EarlySize {
		t.Fatalf("replayed %d bytes, want %d", len(got), EarlySize)
	}
}

func TestStalledBackend(t *testing.T) {
	c := setup(t)
	c.Stall = 1 << 30 // never consumes
	Write(bytes.Repeat([]byte{'y'}, OutSize+5))
	if Lost() != 5 {
		t.Fatalf("Lost = %d, want 5", Lost())
	}
	if Flush() {
		t.Fatal("Flush succeeded with a stalled backend")
	}
}

func TestFlush(t *testing.T) {
	c := setup(t)
	c.ConsumeLimit = 100
	c.Stall = 3
	WriteString(strings.Repeat("z", 1500))
	if !Flush() {
		t.Fatal("Flush failed")
	}
	if c.Pending() != 0 {
		t.Fatalf("%d bytes pending after Flush", c.Pending())
	}
}

func TestRead(t *testing.T) {
	c := setup(t)
	c.SetIndices(0xfffffff0)
	var buf [64]byte
	if n := Read(buf[:]); n != 0 {
		t.Fatalf("Read on empty ring = %d", n)
	}
	in := []byte(strings.Repeat("input-", 100)) // 600 bytes, wraps the 1024-byte ring after a few rounds
	var got []byte
	for len(got) < 3*len(in) {
		if len(got)%len(in) == 0 {
			if c.Input(in) != len(in) {
				t.Fatal("input ring full")
			}
		}
		n := Read(buf[:])
		if n == 0 {
			t.Fatal("Read returned 0 with input waiting")
		}
		got = append(got, buf[:n]...)
	}
	if want := strings.Repeat(string(in), 3); string(got) != want {
		t.Fatalf("input differs")
	}
	if c.InputConsumed() != 0xfffffff0+uint32(3*len(in)) {
		t.Fatalf("in_cons = %#x", c.InputConsumed())
	}
}

func TestInitWithoutXen(t *testing.T) {
	reset()
	t.Cleanup(reset)
	if Init() {
		t.Fatal("Init succeeded without Xen")
	}
	if Flush() || Read(make([]byte, 4)) != 0 {
		t.Fatal("Flush/Read without a ring")
	}
}

func TestNoAllocations(t *testing.T) {
	c := setup(t)
	nop := func(uint32) {}
	Setup(c.Addr(), 1, nop, nop)
	msg := []byte("no allocation on the console path\n")
	var in [16]byte
	allocs := testing.AllocsPerRun(100, func() {
		c.SetIndices(0)
		Write(msg)
		WriteString("x")
		Read(in[:])
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
