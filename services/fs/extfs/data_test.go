package extfs

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// writeCountingDevice counts a device's write requests.
type writeCountingDevice struct {
	Device
	writes int
}

func (d *writeCountingDevice) WriteAt(p []byte, off int64) (int, error) {
	d.writes++
	return d.Device.WriteAt(p, off)
}

// TestDataWriteBack writes a file in 4 KiB pieces: the data goes to the device in few requests
// at fsync, reads before that see it, and after fsync the image holds it (checked by debugfs
// and e2fsck). A block freed before its data was written back does not get that data later.
func TestDataWriteBack(t *testing.T) {
	img := newImage(t, 64<<20, mkfs.Options{})
	fd, err := OpenImage(img, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	dev := &writeCountingDevice{Device: fd}
	f, err := Mount(dev, Options{CommitInterval: -1, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.Open("data", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	const size = 256 * 4096
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*31 + i/4096)
	}
	dev.writes = 0
	for off := 0; off < size; off += 4096 {
		if _, err := h.WriteAt(want[off:off+4096], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	if dev.writes != 0 {
		t.Errorf("256 writes of 4 KiB reached the device %d times before fsync, want 0", dev.writes)
	}
	got := make([]byte, size)
	if n, err := h.ReadAt(got, 0); n != size || !bytes.Equal(got, want) {
		t.Fatalf("reading the written data back before fsync: %d bytes, %v, equal %v", n, err, bytes.Equal(got, want))
	}
	// Read-modify-write of a block held for write-back.
	if _, err := h.WriteAt([]byte("patch"), 4096+100); err != nil {
		t.Fatal(err)
	}
	copy(want[4096+100:], "patch")
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	// 256 data blocks in runs of 64, plus the journal's writes and the blocks written home.
	if dev.writes > 30 {
		t.Errorf("fsync made %d write requests, want at most 30 (data in runs of 64 blocks)", dev.writes)
	}
	h.Close()

	// A file made after another one was freed with its data held reads zeros where it did not
	// write (blocks freed in a transaction are reused only after it commits, which writes the
	// data held first; dropData only saves writing dead data).
	h2, err := f.Open("gone", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h2.WriteAt(bytes.Repeat([]byte("G"), 64*4096), 0); err != nil {
		t.Fatal(err)
	}
	h2.Close()
	if err := f.Remove("gone", false); err != nil {
		t.Fatal(err)
	}
	h3, err := f.Open("sparse", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h3.WriteAt([]byte("end"), 64*4096-3); err != nil { // one block, maybe a freed one
		t.Fatal(err)
	}
	if err := h3.Sync(); err != nil {
		t.Fatal(err)
	}
	h3.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fd.Close()

	fsck(t, img)
	if out := debugfs(t, img, "cat /data"); out != string(want) {
		t.Errorf("debugfs cat /data: %d bytes, equal %v", len(out), out == string(want))
	}
	if out := debugfs(t, img, "cat /sparse"); out != string(make([]byte, 64*4096-3))+"end" {
		t.Errorf("debugfs cat /sparse: %d bytes, %q at its end, holding %d 'G' bytes", len(out), out[max(0, len(out)-8):], bytes.Count([]byte(out), []byte("G")))
	}
}
