package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/runtime/console/wire"
)

// device is a fake input device: it holds host bytes and feeds them while the console has room,
// as the UART's interrupt handler does.
type device struct {
	pending []byte
	pulls   int
}

func (d *device) feed() {
	for len(d.pending) > 0 && Room() >= 2 {
		n := Feed(d.pending[:min(len(d.pending), 14)])
		d.pending = d.pending[n:]
	}
}

func setup(t *testing.T, host []byte) (*device, *int) {
	t.Cleanup(reset)
	reset()
	d := &device{pending: host}
	changes := new(int)
	SetChanged(func() { *changes++ })
	SetInput(func() { d.pulls++; d.feed() })
	return d, changes
}

func readAll(t *testing.T, chunk int) ([]byte, bool) {
	var out []byte
	buf := make([]byte, chunk)
	for {
		n, eof := Read(buf)
		out = append(out, buf[:n]...)
		if n == 0 {
			return out, eof
		}
	}
}

func TestInput(t *testing.T) {
	data := []byte("first line\nsecond \xff line\n")
	d, changes := setup(t, wire.Stream(data))
	if Readable() {
		t.Fatal("readable before any input")
	}
	d.feed()
	if *changes == 0 || !Readable() {
		t.Fatalf("after input: %d changes, readable %v", *changes, Readable())
	}
	got, eof := readAll(t, 5)
	if !bytes.Equal(got, data) || !eof {
		t.Errorf("read %q eof %v, want %q and end of file", got, eof, data)
	}
	if n, eof := Read(make([]byte, 10)); n != 0 || !eof {
		t.Errorf("read after end of file: %d, %v", n, eof)
	}
}

// TestInputFlowControl sends more than the buffer holds: the device must wait for Read to make
// room, and nothing may be lost or reordered.
func TestInputFlowControl(t *testing.T) {
	data := []byte(strings.Repeat("0123456789abcdef\xff", 3*InputSize/17))
	d, _ := setup(t, wire.Stream(data))
	d.feed()
	if len(d.pending) == 0 {
		t.Fatal("the device fed everything into a buffer smaller than the input")
	}
	got, eof := readAll(t, 4000)
	if !bytes.Equal(got, data) || !eof {
		t.Errorf("read %d bytes (eof %v), want the %d sent", len(got), eof, len(data))
	}
	if d.pulls == 0 {
		t.Error("Read never asked the device for more")
	}
}

// TestInputEmpty checks that a reader with nothing buffered waits (no end of file) while input
// has not ended, and that a kernel without an input device reads end of file.
func TestInputEmpty(t *testing.T) {
	d, _ := setup(t, []byte(wire.Preamble))
	d.feed()
	if n, eof := Read(make([]byte, 8)); n != 0 || eof {
		t.Errorf("read of no input = %d, %v; want 0 and no end of file", n, eof)
	}
	reset()
	if n, eof := Read(make([]byte, 8)); n != 0 || !eof || !Readable() {
		t.Errorf("without an input device: read = %d, %v, readable %v; want end of file", n, eof, Readable())
	}
}

func TestOutput(t *testing.T) {
	t.Cleanup(reset)
	reset()
	var dev bytes.Buffer
	room := 0
	SetOutput(func(b []byte) int {
		if room < len(b) {
			return 0
		}
		room -= len(b)
		dev.Write(b)
		return len(b)
	}, func() bool { return room == 0 })
	if n, full := Write([]byte("abc")); n != 0 || !full {
		t.Errorf("write to a full device = %d, %v; want 0, full", n, full)
	}
	if !ArmOutput() {
		t.Error("ArmOutput on a full device: want true (wait)")
	}
	room = 10
	if ArmOutput() {
		t.Error("ArmOutput with room: want false")
	}
	if n, full := Write([]byte("abc")); n != 3 || full || dev.String() != "abc" {
		t.Errorf("write = %d, %v, device has %q", n, full, dev.String())
	}
}

// reset forgets all state: for tests.
func reset() {
	inRead, inWrite = 0, 0
	dec = wire.Decoder{}
	hasInput, pull = false, nil
	write, armOutput, changed = nil, nil, nil
}
