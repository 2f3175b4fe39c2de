// Package sectorio gives a block device that moves whole sectors (virtio-blk, VIRTIO 1.2 §5.2;
// Xen's blkif, xen/include/public/io/blkif.h) the byte-offset io.ReaderAt and io.WriterAt that
// the file component uses: the sectors around a byte range are read, and a partial sector at
// either end of a write is read, changed and written back.
package sectorio

import "syscall"

// SectorSize is the unit of sector numbers on both virtio-blk and blkif: 512 bytes, whatever the
// device's own sector size.
const SectorSize = 512

// A Device reads and writes whole sectors: len(b) and the offset sector*SectorSize are
// multiples of its alignment.
type Device interface {
	Size() int64 // bytes
	ReadSectors(b []byte, sector uint64) error
	WriteSectors(b []byte, sector uint64) error
}

// ReadAt reads len(p) bytes at off from d, whose transfers are aligned to align bytes (a
// multiple of SectorSize), and returns how many it read: fewer at the end of the device.
func ReadAt(d Device, align int64, p []byte, off int64) (int, error) {
	size := d.Size()
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if off >= size {
		return 0, nil
	}
	if int64(len(p)) > size-off {
		p = p[:size-off]
	}
	start := off &^ (align - 1)
	end := (off + int64(len(p)) + align - 1) &^ (align - 1)
	if start == off && end == off+int64(len(p)) {
		return len(p), d.ReadSectors(p, uint64(off/SectorSize))
	}
	buf := make([]byte, end-start)
	if err := d.ReadSectors(buf, uint64(start/SectorSize)); err != nil {
		return 0, err
	}
	return copy(p, buf[off-start:]), nil
}

// WriteAt writes p at off on d, whose transfers are aligned to align bytes (a multiple of
// SectorSize): the partial units at either end are read, changed and written back. A write past
// the end of the device is ENOSPC.
func WriteAt(d Device, align int64, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if off+int64(len(p)) > d.Size() {
		return 0, syscall.ENOSPC
	}
	start := off &^ (align - 1)
	end := (off + int64(len(p)) + align - 1) &^ (align - 1)
	if start == off && end == off+int64(len(p)) {
		return len(p), d.WriteSectors(p, uint64(off/SectorSize))
	}
	buf := make([]byte, end-start)
	if err := d.ReadSectors(buf[:align], uint64(start/SectorSize)); err != nil {
		return 0, err
	}
	if end-start > align {
		if err := d.ReadSectors(buf[len(buf)-int(align):], uint64((end-align)/SectorSize)); err != nil {
			return 0, err
		}
	}
	copy(buf[off-start:], p)
	if err := d.WriteSectors(buf, uint64(start/SectorSize)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Split does a transfer of len(b) bytes (a multiple of SectorSize) from sector on as requests of
// at most max bytes (a multiple of SectorSize), the largest a device's request can carry: it
// calls do for each piece in order, with the piece's first sector, and stops at the first error.
func Split(b []byte, sector uint64, max int, do func(piece []byte, sector uint64) error) error {
	for len(b) > 0 {
		n := min(len(b), max)
		if err := do(b[:n], sector); err != nil {
			return err
		}
		b, sector = b[n:], sector+uint64(n/SectorSize)
	}
	return nil
}

// CopyPages copies between b and the pages that carry a request's data, pageSize bytes each in
// order: page(i, n) returns the first n bytes of page i. With in set it copies from the pages
// to b (a read), else from b to the pages (a write).
func CopyPages(b []byte, pageSize int, in bool, page func(i, n int) []byte) {
	for i := 0; len(b) > 0; i++ {
		f := page(i, min(len(b), pageSize))
		if in {
			copy(b, f)
		} else {
			copy(f, b)
		}
		b = b[len(f):]
	}
}
