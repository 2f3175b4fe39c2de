package console

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
)

var le = binary.LittleEndian

// mem views n bytes at address a (the package's own arrays).
func mem(a uintptr, n int) []byte { return arch.Bytes(a, uintptr(n)) }

// fakeDevice plays the device's side of the transmit queue: it takes the buffers made available
// and returns them used, in the order and at the time a test chooses.
type fakeDevice struct {
	lastAvail uint16
	usedIdx   uint16
	held      []uint16 // descriptors taken, not yet used
	out       bytes.Buffer
}

// take collects newly available descriptors, copying their bytes to out (a serial port writes
// in order).
func (d *fakeDevice) take() {
	avail := mem(tx.avail, 4+2*int(tx.size))
	for idx := le.Uint16(avail[2:]); d.lastAvail != idx; d.lastAvail++ {
		id := le.Uint16(avail[4+2*int(d.lastAvail&(tx.size-1)):])
		desc := mem(tx.desc+uintptr(id)*spec.DescSize, spec.DescSize)
		d.out.Write(mem(uintptr(le.Uint64(desc)), int(le.Uint32(desc[8:]))))
		d.held = append(d.held, id)
	}
}

// use returns descriptor id as used, with a raw id the test may corrupt.
func (d *fakeDevice) use(id uint32) {
	used := mem(tx.used, 4+8*int(tx.size))
	e := used[4+8*int(d.usedIdx&(tx.size-1)):]
	le.PutUint32(e, id)
	le.PutUint32(e[4:], 0)
	d.usedIdx++
	le.PutUint16(used[2:], d.usedIdx)
}

// useAll returns every held descriptor, in order.
func (d *fakeDevice) useAll() {
	for _, id := range d.held {
		d.use(uint32(id))
	}
	d.held = d.held[:0]
}

// setupTest lays out the transmit queue over the package's memory with a fake device behind it.
// eager devices use each buffer as soon as they are notified, as QEMU does under TCG.
func setupTest(t testing.TB, eager bool) *fakeDevice {
	clear(qmem[:])
	tx = vring{}
	produced, released, reaped, armed, armedAt = 0, 0, 0, false, 0
	clear(txDone[:])
	d := &fakeDevice{}
	transport = transportTest
	testNotify = func(q int) {
		if q != txQueue {
			t.Fatalf("notified queue %d", q)
		}
		d.take()
		if eager {
			d.useAll()
		}
	}
	tx.layout(txQueue, txSize, (addr(&qmem[0])+15)&^15)
	tx.setInterrupts(false)
	ready = true
	t.Cleanup(func() { ready, transport, testNotify = false, transportNone, nil })
	return d
}

func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed)
	}
	return b
}

func TestWriteEager(t *testing.T) {
	d := setupTest(t, true)
	var want bytes.Buffer
	for i, n := range []int{1, 100, 4096, DataSize, DataSize + 1, 3 * DataSize, 17} {
		b := pattern(n, i)
		for len(b) > 0 {
			c := Write(b)
			if c == 0 {
				t.Fatalf("write of %d bytes took nothing with an eager device", len(b))
			}
			want.Write(b[:c])
			b = b[c:]
		}
	}
	if !bytes.Equal(d.out.Bytes(), want.Bytes()) {
		t.Fatalf("device got %d bytes, want %d (or they differ)", d.out.Len(), want.Len())
	}
	if !Drained() {
		t.Error("not drained after an eager device used everything")
	}
}

// TestWriteFull fills the ring while the device holds its buffers: Write must take nothing rather
// than split a write, Arm must ask for an interrupt, and the interrupt must report room once the
// device returned buffers.
func TestWriteFull(t *testing.T) {
	d := setupTest(t, false)
	var want bytes.Buffer
	b := pattern(DataSize/3, 1)
	for i := 0; i < 3; i++ {
		if c := Write(b); c != len(b) {
			t.Fatalf("write %d took %d of %d", i, c, len(b))
		}
		want.Write(b)
	}
	if c := Write(b); c != 0 {
		t.Fatalf("a write that does not fit took %d bytes", c)
	}
	if Drained() {
		t.Fatal("drained while the device holds buffers")
	}
	if !Arm() {
		t.Fatal("Arm with a full ring and no progress: want true (wait)")
	}
	if tx.noIntr {
		t.Fatal("Arm left interrupts off")
	}
	if Interrupt() {
		t.Fatal("Interrupt without progress woke the writers")
	}
	d.useAll()
	if !Interrupt() {
		t.Fatal("Interrupt after the device used buffers did not wake the writers")
	}
	if !tx.noIntr {
		t.Error("interrupts stay on after the writers were woken")
	}
	c := Write(b)
	if c != len(b) {
		t.Fatalf("write after the interrupt took %d of %d", c, len(b))
	}
	want.Write(b)
	d.useAll()
	if !Drained() || !bytes.Equal(d.out.Bytes(), want.Bytes()) {
		t.Errorf("drained %v; device got %d bytes, want %d", Drained(), d.out.Len(), want.Len())
	}
}

// TestOutOfOrder returns used buffers out of order: the ring's bytes are released only up to the
// oldest buffer still in flight.
func TestOutOfOrder(t *testing.T) {
	d := setupTest(t, false)
	for i := 0; i < 3; i++ {
		Write(pattern(1000, i))
	}
	d.take()
	d.use(uint32(d.held[2]))
	d.use(uint32(d.held[1]))
	reap()
	if released != 0 {
		t.Fatalf("released %d bytes while the oldest buffer is in flight", released)
	}
	d.use(uint32(d.held[0]))
	reap()
	if released != 3000 || !Drained() {
		t.Fatalf("released %d, drained %v; want 3000, true", released, Drained())
	}
}

// FuzzTransmit drives Write against a device whose behaviour comes from the fuzzer: how much it
// returns, in what order, and bogus entries (ids out of range, ids not in flight, duplicates, a
// used index far ahead). The driver must not crash, never release more than it produced nor
// hold more than the ring, and, when the device behaves, deliver the bytes in order.
func FuzzTransmit(f *testing.F) {
	f.Add([]byte{0, 10, 1, 200, 2, 3, 4, 5})
	f.Add([]byte{5, 5, 5, 6, 6, 7, 0xff, 0x10})
	f.Fuzz(func(t *testing.T, script []byte) {
		d := setupTest(t, false)
		behaved := true
		var want bytes.Buffer
		seed := 0
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i]%8, int(script[i+1])
			switch op {
			case 0, 1, 2: // a write of a size from tiny to larger than the ring
				n := arg * 97 * (1 + int(op))
				b := pattern(n+1, seed)
				seed++
				if c := Write(b); c > 0 {
					want.Write(b[:c])
				}
			case 3: // return everything held, in order
				d.take()
				d.useAll()
			case 4: // return one held buffer chosen by arg (out of order is allowed)
				d.take()
				if len(d.held) > 0 {
					k := arg % len(d.held)
					d.use(uint32(d.held[k]))
					d.held = append(d.held[:k], d.held[k+1:]...)
				}
			case 5: // a bogus id
				d.use(uint32(arg) * 977)
				behaved = false
			case 6: // a used index jump
				d.usedIdx += uint16(arg) * 31
				le.PutUint16(mem(tx.used+2, 2), d.usedIdx)
				behaved = false
			case 7:
				Arm()
				Interrupt()
			}
			reap()
			if produced-released > DataSize || tx.availIdx-reaped > tx.size {
				t.Fatalf("in flight: %d bytes, %d descriptors", produced-released, tx.availIdx-reaped)
			}
		}
		if behaved {
			d.take()
			if !bytes.Equal(d.out.Bytes(), want.Bytes()) {
				t.Fatalf("device got %d bytes, want %d", d.out.Len(), want.Len())
			}
		}
	})
}

func TestControl(t *testing.T) {
	msg := func(id uint32, event, value uint16, name string) []byte {
		b := make([]byte, ctlBufSize)
		putControl(b, id, event, value)
		copy(b[ctlSize:], name+"\x00")
		return b
	}
	var st portState
	if r, v, ok := st.apply(mustParse(t, msg(0, eventDeviceAdd, 1, ""), 8), Port, PortName); ok {
		t.Errorf("a message about port 0 asked for reply %d %d", r, v)
	}
	if r, v, ok := st.apply(mustParse(t, msg(1, eventDeviceAdd, 1, ""), 8), Port, PortName); !ok || r != eventPortReady || v != 1 {
		t.Errorf("PORT_ADD of port 1: reply %d %d %v, want PORT_READY 1", r, v, ok)
	}
	st.apply(mustParse(t, msg(1, eventPortName, 1, PortName), uint32(ctlSize+len(PortName)+1)), Port, PortName)
	st.apply(mustParse(t, msg(1, eventPortOpen, 1, ""), 8), Port, PortName)
	if !st.added || !st.named || !st.hostOpen || st.badName {
		t.Errorf("state %+v", st)
	}
	st = portState{}
	st.apply(mustParse(t, msg(1, eventPortName, 1, "other"), 14), Port, PortName)
	if st.named || !st.badName {
		t.Errorf("another name: state %+v", st)
	}
	if _, ok := parseControl(make([]byte, 8), 7); ok {
		t.Error("a 7-byte message parsed")
	}
	if _, ok := parseControl(make([]byte, 8), 9); ok {
		t.Error("a length beyond the buffer parsed")
	}
}

func mustParse(t *testing.T, b []byte, n uint32) control {
	c, ok := parseControl(b, n)
	if !ok {
		t.Fatalf("parseControl(%q, %d) failed", b[:n], n)
	}
	return c
}

// FuzzControl feeds arbitrary control messages and lengths: parsing must never read past the
// buffer or the length the device claims.
func FuzzControl(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x07\x00\x01\x00org.unikgen.console\x00"), uint32(28))
	f.Add([]byte("\x01\x00\x00\x00\x01\x00\x01\x00"), uint32(8))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		c, ok := parseControl(b, n)
		if !ok {
			return
		}
		if n < ctlSize || int(n) > len(b) || len(c.name) > int(n)-ctlSize {
			t.Fatalf("parsed %d bytes of a %d-byte buffer: %+v", n, len(b), c)
		}
		var st portState
		st.apply(c, Port, PortName)
		_ = fmt.Sprint(st)
	})
}
