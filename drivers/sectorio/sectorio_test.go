package sectorio

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

// memDevice is a device in memory that checks every transfer's alignment.
type memDevice struct {
	t     *testing.T
	align int
	data  []byte
}

func (m *memDevice) Size() int64 { return int64(len(m.data)) }

func (m *memDevice) check(b []byte, sector uint64) []byte {
	off := int(sector) * SectorSize
	if len(b)%m.align != 0 || off%m.align != 0 || off+len(b) > len(m.data) {
		m.t.Fatalf("transfer of %d bytes at %d: not aligned to %d or past the end", len(b), off, m.align)
	}
	return m.data[off : off+len(b)]
}

func (m *memDevice) ReadSectors(b []byte, sector uint64) error {
	copy(b, m.check(b, sector))
	return nil
}
func (m *memDevice) WriteSectors(b []byte, sector uint64) error {
	copy(m.check(b, sector), b)
	return nil
}

func TestReadWriteAt(t *testing.T) {
	for _, align := range []int{512, 4096} {
		d := &memDevice{t: t, align: align, data: make([]byte, 4*4096)}
		want := make([]byte, len(d.data))
		for i, c := range []struct{ off, n int }{{0, 512}, {100, 10}, {500, 4000}, {4096, 4096}, {8000, 8384}, {16383, 1}} {
			p := bytes.Repeat([]byte{byte(i + 1)}, c.n)
			if n, err := WriteAt(d, int64(align), p, int64(c.off)); n != c.n || err != nil {
				t.Fatalf("align %d: WriteAt(%d bytes at %d) = %d, %v", align, c.n, c.off, n, err)
			}
			copy(want[c.off:], p)
			if !bytes.Equal(d.data, want) {
				t.Fatalf("align %d: after writing %d bytes at %d the device differs", align, c.n, c.off)
			}
			got := make([]byte, c.n+7)
			n, err := ReadAt(d, int64(align), got, int64(c.off))
			if wantN := min(c.n+7, len(d.data)-c.off); n != wantN || err != nil || !bytes.Equal(got[:n], want[c.off:c.off+n]) {
				t.Fatalf("align %d: ReadAt at %d = %d, %v", align, c.off, n, err)
			}
		}
		if _, err := WriteAt(d, int64(align), []byte{1}, int64(len(d.data))); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("write past the end: %v, want ENOSPC", err)
		}
		if n, err := ReadAt(d, int64(align), make([]byte, 8), int64(len(d.data))); n != 0 || err != nil {
			t.Errorf("read at the end: %d, %v", n, err)
		}
		if _, err := ReadAt(d, int64(align), make([]byte, 8), -1); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("negative offset: %v, want EINVAL", err)
		}
	}
}

// TestSplit: a transfer becomes requests of at most max bytes, in order, each with its first
// sector; the first error ends it.
func TestSplit(t *testing.T) {
	type piece struct {
		n      int
		sector uint64
	}
	b := make([]byte, 5*SectorSize)
	var got []piece
	err := Split(b, 7, 2*SectorSize, func(p []byte, sector uint64) error {
		if len(got) == 0 && &p[0] != &b[0] {
			t.Errorf("the first piece does not start at the buffer")
		}
		got = append(got, piece{len(p), sector})
		return nil
	})
	want := []piece{{2 * SectorSize, 7}, {2 * SectorSize, 9}, {SectorSize, 11}}
	if err != nil || len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("Split = %v, pieces %v; want %v", err, got, want)
	}
	calls := 0
	err = Split(b, 0, SectorSize, func([]byte, uint64) error { calls++; return syscall.EIO })
	if !errors.Is(err, syscall.EIO) || calls != 1 {
		t.Errorf("a failing request: %v after %d calls, want EIO after 1", err, calls)
	}
	if err := Split(nil, 0, SectorSize, func([]byte, uint64) error { t.Error("called for nothing"); return nil }); err != nil {
		t.Error(err)
	}
}

// TestCopyPages: data goes to and from pages in order, the last page only as far as the data.
func TestCopyPages(t *testing.T) {
	pages := [][]byte{make([]byte, 8), make([]byte, 8), bytes.Repeat([]byte{0xee}, 8)}
	page := func(i, n int) []byte {
		if n > 8 {
			t.Fatalf("page %d asked for %d bytes", i, n)
		}
		return pages[i][:n]
	}
	src := []byte("0123456789abcdefXYZ")
	CopyPages(src, 8, false, page)
	if string(pages[0]) != "01234567" || string(pages[1]) != "89abcdef" || string(pages[2]) != "XYZ\xee\xee\xee\xee\xee" {
		t.Errorf("out: pages %q", pages)
	}
	dst := make([]byte, len(src))
	CopyPages(dst, 8, true, page)
	if !bytes.Equal(dst, src) {
		t.Errorf("in: %q, want %q", dst, src)
	}
}
