package net

import (
	"bytes"
	"testing"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/drivers/virtio/virtiotest"
)

func newFake(offered uint64) *virtiotest.Device {
	cfg := make([]byte, 12)
	copy(cfg, []byte{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef})
	cfg[6] = 1 // link up
	return &virtiotest.Device{Mem: &virtiotest.Memory{}, Type: spec.DeviceNet, Offered: offered, Cfg: cfg}
}

// offload is what a tap with vnet_hdr offers (notes §4): the driver must take none of the
// offloads and still work.
const offload = spec.FeatureVersion1 | FeatureCSUM | FeatureGuestCSUM | FeatureMAC | FeatureMrgRxbuf | FeatureStatus | 1<<7 | 1<<11

func TestNegotiation(t *testing.T) {
	for _, c := range []struct {
		name    string
		offered uint64
		want    uint64
		mac     [6]byte
	}{
		{"user networking", spec.FeatureVersion1 | FeatureMAC | FeatureStatus, spec.FeatureVersion1 | FeatureMAC | FeatureStatus, [6]byte{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}},
		{"tap with offloads", offload, spec.FeatureVersion1 | FeatureMAC | FeatureStatus, [6]byte{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}},
		{"no MAC", spec.FeatureVersion1, spec.FeatureVersion1, [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fd := newFake(c.offered)
			d, err := New(fd, fd.Mem, func([]byte) {})
			if err != nil {
				t.Fatal(err)
			}
			if fd.Accepted != c.want {
				t.Errorf("accepted %#x, want %#x", fd.Accepted, c.want)
			}
			if d.MAC() != c.mac || !d.LinkUp() || !fd.Ready() {
				t.Errorf("MAC %x link %v ready %v", d.MAC(), d.LinkUp(), fd.Ready())
			}
		})
	}
	if _, err := New(&virtiotest.Device{Mem: &virtiotest.Memory{}, Type: spec.DeviceBlock, Offered: spec.FeatureVersion1}, &virtiotest.Memory{}, nil); err == nil {
		t.Error("a block device was driven as a network device")
	}
}

// TestReceive lets the device fill receive buffers with frames and checks what the driver
// delivers, and that it gives every buffer back.
func TestReceive(t *testing.T) {
	fd := newFake(offload)
	var got [][]byte
	d, err := New(fd, fd.Mem, func(f []byte) { got = append(got, append([]byte(nil), f...)) })
	if err != nil {
		t.Fatal(err)
	}
	var posted int
	for {
		head, chain, ok := fd.Pop(receiveQueue)
		if !ok {
			break
		}
		if len(chain) != 1 || !chain[0].Write || chain[0].Len != bufSize {
			t.Fatalf("receive chain %v: want one device-writable buffer of %d", chain, bufSize)
		}
		posted++
		if posted > 3 {
			continue
		}
		frame := bytes.Repeat([]byte{byte(posted)}, 60*posted)
		b := fd.Bytes(chain[0])
		copy(b[HeaderSize:], frame)
		fd.Push(receiveQueue, head, HeaderSize+len(frame))
	}
	if posted != queueSize {
		t.Fatalf("%d receive buffers posted, want %d", posted, queueSize)
	}
	d.Interrupt()
	if len(got) != 3 {
		t.Fatalf("%d frames delivered, want 3", len(got))
	}
	for i, f := range got {
		if len(f) != 60*(i+1) || f[0] != byte(i+1) {
			t.Errorf("frame %d: %d bytes of %d", i, len(f), f[0])
		}
	}
	// The three buffers went back to the device.
	n := 0
	for {
		if _, _, ok := fd.Pop(receiveQueue); !ok {
			break
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d buffers given back, want 3", n)
	}
}

// TestReceiveBadLengths: lengths a broken device may report are dropped, not delivered, and the
// buffers are not lost.
func TestReceiveBadLengths(t *testing.T) {
	fd := newFake(spec.FeatureVersion1)
	delivered := 0
	d, err := New(fd, fd.Mem, func([]byte) { delivered++ })
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, HeaderSize, bufSize + 1, 1 << 30} {
		head, _, ok := fd.Pop(receiveQueue)
		if !ok {
			t.Fatal("no receive buffer")
		}
		fd.Push(receiveQueue, head, n)
	}
	d.Interrupt()
	if delivered != 0 || d.RxDropped != 4 {
		t.Errorf("delivered %d, dropped %d; want 0 and 4", delivered, d.RxDropped)
	}
}

func TestTransmit(t *testing.T) {
	fd := newFake(spec.FeatureVersion1 | FeatureMAC)
	d, err := New(fd, fd.Mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr, payload := []byte("0123456789abcd"), bytes.Repeat([]byte{7}, 1000)
	for i := 0; i < 3*queueSize; i++ { // more frames than buffers: reaping must free them
		if err := d.Transmit(hdr, payload); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		head, chain, ok := fd.Pop(transmitQueue)
		if !ok || len(chain) != 1 || chain[0].Write || chain[0].Len != HeaderSize+len(hdr)+len(payload) {
			t.Fatalf("frame %d: chain %v %v", i, chain, ok)
		}
		b := fd.Bytes(chain[0])
		if !bytes.Equal(b[:HeaderSize], make([]byte, HeaderSize)) || !bytes.Equal(b[HeaderSize:HeaderSize+len(hdr)], hdr) ||
			!bytes.Equal(b[HeaderSize+len(hdr):], payload) {
			t.Fatalf("frame %d: wrong bytes", i)
		}
		fd.Push(transmitQueue, head, 0)
	}
	if err := d.Transmit(make([]byte, MaxFrame+1)); err != ErrTooLarge {
		t.Errorf("oversized frame: %v", err)
	}
	// The device uses nothing: the driver runs out of buffers and says so.
	var err2 error
	for i := 0; i < queueSize+1 && err2 == nil; i++ {
		err2 = d.Transmit(hdr)
	}
	if err2 != ErrNoBuffer {
		t.Errorf("with the device stuck: %v, want ErrNoBuffer", err2)
	}
}
