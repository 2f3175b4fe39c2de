package extfs

import (
	"bytes"
	"io"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// countingDevice counts a device's read requests.
type countingDevice struct {
	Device
	reads int
}

func (d *countingDevice) ReadAt(p []byte, off int64) (int, error) {
	d.reads++
	return d.Device.ReadAt(p, off)
}

// TestReadAhead reads a file sequentially in 4 KiB pieces: the device gets about one request per
// 16 blocks, not one per block, and what is read is the file, also when another descriptor
// writes into the part read ahead, or truncates the file, between two reads.
func TestReadAhead(t *testing.T) {
	img := newImage(t, 64<<20, mkfs.Options{})
	fd, err := OpenImage(img, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	fd.NoSync = true
	dev := &countingDevice{Device: fd}
	f, err := Mount(dev, Options{CommitInterval: -1, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 * 4096
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*13 + i/4096)
	}
	writeFile(t, f, "seq", string(want))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	r, err := f.Open("seq", syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	read := func(off int64, n int) []byte {
		t.Helper()
		b := make([]byte, n)
		got, err := r.ReadAt(b, off)
		if err != nil && err != io.EOF {
			t.Fatalf("read %d at %d: %v", n, off, err)
		}
		return b[:got]
	}
	dev.reads = 0
	var got []byte
	for off := int64(0); off < size; off += 4096 {
		got = append(got, read(off, 4096)...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the sequential read differs from the file")
	}
	if dev.reads > 8 {
		t.Errorf("64 sequential 4 KiB reads made %d device requests, want at most 8 (read-ahead of 16 blocks)", dev.reads)
	}

	// Unaligned sequential reads.
	got = got[:0]
	for off := int64(0); off < size; off += 1000 {
		got = append(got, read(off, 1000)...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the sequential 1000-byte reads differ from the file")
	}

	// A write through another descriptor into blocks read ahead is seen by the next read.
	read(0, 4096)
	read(4096, 4096) // reads ahead blocks 1..16
	w, err := f.Open("seq", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteAt(bytes.Repeat([]byte("x"), 4096), 2*4096); err != nil {
		t.Fatal(err)
	}
	if b := read(2*4096, 4096); !bytes.Equal(b, bytes.Repeat([]byte("x"), 4096)) {
		t.Errorf("a block written after the read-ahead reads %q..., want the new data", b[:8])
	}
	// And a truncation.
	read(3*4096, 4096)
	if err := w.Setattr(setSize(4 * 4096)); err != nil {
		t.Fatal(err)
	}
	if b := read(4*4096, 4096); len(b) != 0 {
		t.Errorf("reading past a truncation gives %d bytes, want 0", len(b))
	}
}

func setSize(n int64) fs.SetAttr { return fs.SetAttr{Size: &n} }
