package virtio_test

import (
	"errors"
	"testing"

	"github.com/unikgen/unikgen/drivers/virtio"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/drivers/virtio/virtiotest"
)

func newDevice(t *testing.T) (*virtiotest.Device, *virtio.Device) {
	t.Helper()
	fd := &virtiotest.Device{Mem: &virtiotest.Memory{}, Type: spec.DeviceNet, Offered: spec.FeatureVersion1 | 1<<5}
	d, err := virtio.Init(fd, fd.Mem, 1<<5|1<<7)
	if err != nil {
		t.Fatal(err)
	}
	if d.Features != spec.FeatureVersion1|1<<5 {
		t.Errorf("negotiated %#x, want VERSION_1 and bit 5 (bit 7 was not offered)", d.Features)
	}
	return fd, d
}

// TestQueueRoundTrip makes chains available, lets the fake device use them, and reaps them,
// many times around the rings.
func TestQueueRoundTrip(t *testing.T) {
	fd, d := newDevice(t)
	q, err := d.Queue(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if q.N != 8 || q.Free() != 8 {
		t.Fatalf("queue of %d with %d free, want 8 and 8", q.N, q.Free())
	}
	d.Ready()
	for round := 0; round < 100; round++ {
		// A two-buffer chain (request + device-writable status) and a single buffer.
		h1, err := q.Add(virtio.Buffer{Addr: 0x1000, Len: 16}, virtio.Buffer{Addr: 0x2000, Len: 1, Write: true})
		if err != nil {
			t.Fatal(err)
		}
		h2, err := q.Add(virtio.Buffer{Addr: 0x3000, Len: 1500, Write: true})
		if err != nil {
			t.Fatal(err)
		}
		d.Kick(q)
		head, chain, ok := fd.Pop(0)
		if !ok || head != h1 || len(chain) != 2 || chain[0] != (virtiotest.Desc{Addr: 0x1000, Len: 16}) ||
			chain[1] != (virtiotest.Desc{Addr: 0x2000, Len: 1, Write: true}) {
			t.Fatalf("round %d: popped %d %v %v, want head %d and the two buffers", round, head, chain, ok, h1)
		}
		head, chain, ok = fd.Pop(0)
		if !ok || head != h2 || len(chain) != 1 || !chain[0].Write {
			t.Fatalf("round %d: popped %d %v %v", round, head, chain, ok)
		}
		if _, _, ok := fd.Pop(0); ok {
			t.Fatal("a third chain appeared")
		}
		fd.Push(0, h2, 60)
		fd.Push(0, h1, 1)
		if h, n, ok := q.Used(); !ok || h != h2 || n != 60 {
			t.Fatalf("used %d %d %v, want %d 60", h, n, ok, h2)
		}
		if h, n, ok := q.Used(); !ok || h != h1 || n != 1 {
			t.Fatalf("used %d %d %v, want %d 1", h, n, ok, h1)
		}
		if _, _, ok := q.Used(); ok {
			t.Fatal("a third used entry")
		}
		if q.Free() != 8 {
			t.Fatalf("round %d: %d descriptors free after reaping, want 8", round, q.Free())
		}
	}
	if len(fd.Notified) != 100 {
		t.Errorf("%d notifications, want one per kick (100)", len(fd.Notified))
	}
}

func TestQueueFull(t *testing.T) {
	fd, d := newDevice(t)
	fd.MaxQueue = 4
	q, err := d.Queue(1, 256)
	if err != nil {
		t.Fatal(err)
	}
	if q.N != 4 {
		t.Fatalf("size %d, want the device's maximum 4", q.N)
	}
	for i := 0; i < 4; i++ {
		if _, err := q.Add(virtio.Buffer{Addr: 0x1000, Len: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Add(virtio.Buffer{Addr: 0x1000, Len: 1}); !errors.Is(err, virtio.ErrQueueFull) {
		t.Errorf("fifth buffer: %v, want ErrQueueFull", err)
	}
	if _, err := q.Add(); !errors.Is(err, virtio.ErrQueueFull) {
		t.Errorf("empty chain: %v, want ErrQueueFull", err)
	}
}

// TestQueueBadUsed: a used element naming a descriptor beyond the queue is dropped, not
// trusted.
func TestQueueBadUsed(t *testing.T) {
	fd, d := newDevice(t)
	q, err := d.Queue(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	d.Ready()
	q.Add(virtio.Buffer{Addr: 0x1000, Len: 1})
	d.Kick(q)
	fd.PushRaw(0, 9999, 1)
	if _, _, ok := q.Used(); ok {
		t.Error("a used id beyond the queue was accepted")
	}
	if q.Free() != 7 {
		t.Errorf("%d free, want 7 (the bogus entry freed nothing)", q.Free())
	}
}

func TestInitFailures(t *testing.T) {
	mem := &virtiotest.Memory{}
	legacy := &virtiotest.Device{Mem: mem, Type: spec.DeviceNet, Offered: 1 << 5}
	if _, err := virtio.Init(legacy, mem, 1<<5); err == nil || legacy.Status()&spec.StatusFailed == 0 {
		t.Errorf("legacy device: %v, status %#x; want an error and FAILED", err, legacy.Status())
	}
	picky := &virtiotest.Device{Mem: mem, Type: spec.DeviceNet, Offered: spec.FeatureVersion1, RejectFeatures: true}
	if _, err := virtio.Init(picky, mem, 0); !errors.Is(err, virtio.ErrFeatures) {
		t.Errorf("device refusing the features: %v, want ErrFeatures", err)
	}
}

// FuzzUsed lets a broken or hostile device return arbitrary used elements: the driver must never
// panic, never free more descriptors than the queue has, and keep working.
func FuzzUsed(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fd := &virtiotest.Device{Mem: &virtiotest.Memory{}, Type: spec.DeviceNet, Offered: spec.FeatureVersion1}
		d, err := virtio.Init(fd, fd.Mem, 0)
		if err != nil {
			t.Fatal(err)
		}
		q, err := d.Queue(0, 8)
		if err != nil {
			t.Fatal(err)
		}
		d.Ready()
		for i := 0; i < 3; i++ {
			q.Add(virtio.Buffer{Addr: 0x1000, Len: 1}, virtio.Buffer{Addr: 0x2000, Len: 1, Write: true})
		}
		d.Kick(q)
		for len(b) >= 8 && len(b) <= 8*64 {
			fd.PushRaw(0, le32(b), le32(b[4:]))
			b = b[8:]
			for {
				if _, _, ok := q.Used(); !ok {
					break
				}
				if q.Free() > q.N {
					t.Fatalf("%d descriptors free in a queue of %d", q.Free(), q.N)
				}
			}
		}
		if q.Free() > q.N {
			t.Fatalf("%d descriptors free in a queue of %d", q.Free(), q.N)
		}
	})
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
