package fs

import (
	"bytes"
	"testing"
)

// memDisk is a block device in memory that counts its read requests.
type memDisk struct {
	b     []byte
	reads int
}

func (m *memDisk) ReadAt(p []byte, off int64) (int, error) {
	m.reads++
	return copy(p, m.b[off:]), nil
}
func (m *memDisk) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }
func (m *memDisk) Flush() error                             { return nil }
func (m *memDisk) Size() int64                              { return int64(len(m.b)) }
func (m *memDisk) ReadOnly() bool                           { return false }
func (m *memDisk) String() string                           { return "memdisk" }

// TestDeviceReadAhead reads a block device sequentially in 4 KiB pieces through its /dev file:
// about one device request per 64 KiB, the device's contents, and writes (through the /dev file
// or through the volume's side of the device) seen by the next read.
func TestDeviceReadAhead(t *testing.T) {
	disk := &memDisk{b: make([]byte, 1<<20)}
	for i := range disk.b {
		disk.b[i] = byte(i*7 + i>>12)
	}
	want := bytes.Clone(disk.b)
	shared := &sharedDevice{BlockDevice: disk}
	h := &blockHandle{d: shared}
	read := func(off int64) []byte {
		t.Helper()
		b := make([]byte, 4096)
		n, err := h.ReadAt(b, off)
		if err != nil || n != len(b) {
			t.Fatalf("read at %d: %d, %v", off, n, err)
		}
		return b
	}
	var got []byte
	for off := int64(0); off < 1<<20; off += 4096 {
		got = append(got, read(off)...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the sequential read differs from the device")
	}
	if disk.reads > 20 {
		t.Errorf("256 sequential 4 KiB reads made %d device requests, want at most 20 (64 KiB read-ahead)", disk.reads)
	}
	// The tail: a read-ahead is cut at the end of the device.
	if n, err := h.ReadAt(make([]byte, 4096), 1<<20-4096); n != 4096 || err != nil {
		t.Errorf("last block: %d, %v", n, err)
	}

	read(0)
	read(4096) // reads ahead 4 KiB .. 68 KiB
	x := bytes.Repeat([]byte("x"), 4096)
	if _, err := shared.WriteAt(x, 2*4096); err != nil { // the volume's side
		t.Fatal(err)
	}
	if b := read(2 * 4096); !bytes.Equal(b, x) {
		t.Errorf("a block written by the volume after the read-ahead reads %q..., want the new data", b[:8])
	}
	y := bytes.Repeat([]byte("y"), 4096)
	read(3 * 4096)
	if _, err := h.WriteAt(y, 4*4096); err != nil { // through /dev
		t.Fatal(err)
	}
	if b := read(4 * 4096); !bytes.Equal(b, y) {
		t.Errorf("a block written through /dev after the read-ahead reads %q..., want the new data", b[:8])
	}
}
