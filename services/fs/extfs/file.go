package extfs

// This file implements open files: reading and writing file data straight between the caller's
// buffer and the device (whole blocks in runs of contiguous blocks, partial blocks through a
// block buffer), truncation, and the orphan list that keeps a file unlinked while open alive.

import (
	"io"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/disk"
)

// maxRun bounds the blocks moved by one device request.
const maxRun = 64

// handle is an open file.
type handle struct {
	f      *FS
	in     *inode
	closed bool
}

var _ fs.Handle = (*handle)(nil)

// Blocking tells services/fs that calls on the file wait for the device (the volume's mount is
// asynchronous anyway).
func (h *handle) Blocking() bool { return true }

func (h *handle) ReadAt(p []byte, off int64) (n int, err error) {
	err = h.f.op(false, func() error {
		if h.in.d.IsDir() {
			return errIsDir
		}
		if off < 0 {
			return errInval
		}
		n, err = h.f.readData(h.in, p, off)
		return err
	})
	return n, err
}

func (h *handle) WriteAt(p []byte, off int64) (n int, err error) {
	err = h.f.op(true, func() error {
		if h.in.d.IsDir() {
			return errIsDir
		}
		if off < 0 {
			return errInval
		}
		n, err = h.f.writeData(h.in, p, off)
		return err
	})
	return n, err
}

func (h *handle) Attr() (a fs.Attr, err error) {
	err = h.f.op(false, func() error {
		a = h.f.attr(h.in)
		return nil
	})
	return a, err
}

func (h *handle) Setattr(s fs.SetAttr) error {
	return h.f.op(true, func() error { return h.f.setattr(h.in, s) })
}

func (h *handle) ReadDir() (out []fs.DirEntry, err error) {
	err = h.f.op(false, func() error {
		if !h.in.d.IsDir() {
			return errNotDir
		}
		out, err = h.f.entries(h.in)
		return err
	})
	return out, err
}

// Sync commits the file system's running transaction (fsync and fdatasync: every change, of
// every file) and flushes the device.
func (h *handle) Sync() error {
	return h.f.op(false, func() error { return h.f.sync() })
}

func (h *handle) Close() error {
	return h.f.op(false, func() error {
		if h.closed {
			return nil
		}
		h.closed = true
		h.in.open--
		if h.in.open == 0 {
			h.in.ra = readAhead{}
		}
		if h.in.open == 0 && h.in.orphan {
			if h.f.readOnly != nil {
				return nil
			}
			if err := h.f.removeOrphan(h.in); err != nil {
				return err
			}
			return h.f.releaseInode(h.in)
		}
		return nil
	})
}

// Size is the file's size (lseek(SEEK_END)).
func (h *handle) Size() int64 {
	a, _ := h.Attr()
	return a.Size
}

// readData reads file data at off into p.
// raBlocks is the most blocks one read-ahead reads (64 KiB with 4 KiB blocks: one request of the
// virtio-blk driver).
const raBlocks = 16

// A readAhead holds blocks of an inode read before they were asked for: a sequential reader
// (each read starting at the block where the previous one ended) gets up to raBlocks contiguous
// blocks in one device request, as Linux's read-ahead does, instead of one request a block. It
// is valid only in the file system generation it was read in (FS.dataGen): any write operation
// in between, to any file, drops it, so it never shows data older than the device's.
type readAhead struct {
	next  uint64 // the block where the last read ended
	start uint64 // first block held
	gen   uint64
	data  []byte // whole blocks from start; nil: none
}

func (f *FS) readData(in *inode, p []byte, off int64) (int, error) {
	size := int64(in.d.Size)
	if off >= size {
		return 0, io.EOF
	}
	eof := false
	if int64(len(p)) > size-off {
		p, eof = p[:size-off], true
	}
	bs := int64(f.bs)
	n := 0
	var scratch []byte
	for n < len(p) {
		pos := off + int64(n)
		lblk, boff := uint64(pos/bs), int(pos%bs)
		if ra := &in.ra; ra.data != nil && ra.gen == f.dataGen && lblk >= ra.start && lblk < ra.start+uint64(len(ra.data)/f.bs) {
			n += copy(p[n:], ra.data[pos-int64(ra.start)*bs:])
			in.ra.next = uint64((off + int64(n)) / bs)
			continue
		}
		pblk, _, err := f.bmap(in, lblk, false, 0)
		if err != nil {
			return n, err
		}
		chunk := min(len(p)-n, f.bs-boff)
		switch {
		case pblk != 0 && lblk > 0 && lblk == in.ra.next && len(p)-n < raBlocks*f.bs:
			// A sequential read smaller than a read-ahead: read the contiguous blocks that
			// follow, within the file, in one request and keep them.
			last := uint64((size - 1) / bs)
			run := 1
			for run < raBlocks && lblk+uint64(run) <= last {
				next, _, err := f.bmap(in, lblk+uint64(run), false, 0)
				if err != nil || next != pblk+uint32(run) {
					break
				}
				run++
			}
			ra := &in.ra
			if cap(ra.data) < raBlocks*f.bs {
				ra.data = make([]byte, raBlocks*f.bs)
			}
			ra.data = ra.data[:run*f.bs]
			if err := f.readDataBlocks(ra.data, pblk); err != nil {
				ra.data = nil
				return n, err
			}
			ra.start, ra.gen = lblk, f.dataGen
			chunk = copy(p[n:], ra.data[boff:])
		case pblk == 0: // a hole
			clear(p[n : n+chunk])
		case boff == 0 && chunk == f.bs:
			run := 1
			for run < maxRun && n+(run+1)*f.bs <= len(p) {
				next, _, err := f.bmap(in, lblk+uint64(run), false, 0)
				if err != nil || next != pblk+uint32(run) {
					break
				}
				run++
			}
			chunk = run * f.bs
			if err := f.readDataBlocks(p[n:n+chunk], pblk); err != nil {
				return n, err
			}
		default:
			if scratch == nil {
				scratch = make([]byte, f.bs)
			}
			if err := f.readDataBlocks(scratch, pblk); err != nil {
				return n, err
			}
			copy(p[n:n+chunk], scratch[boff:])
		}
		n += chunk
		in.ra.next = uint64((off + int64(n)) / bs)
	}
	if eof {
		return n, io.EOF
	}
	return n, nil
}

// maxSize is the largest file size: what the block map addresses, and for i_blocks (in
// sectors, 32 bits without huge_file) 2 TiB.
func (f *FS) maxSize() uint64 {
	m := f.maxBlocks() * uint64(f.bs)
	return min(m, 1<<41-uint64(f.bs))
}

// writeData writes p into the file at off, allocating blocks as it goes.
func (f *FS) writeData(in *inode, p []byte, off int64) (int, error) {
	if !in.d.IsReg() {
		return 0, errInval
	}
	if uint64(off) >= f.maxSize() {
		return 0, errFBig
	}
	if rest := f.maxSize() - uint64(off); uint64(len(p)) > rest {
		p = p[:rest]
	}
	bs := int64(f.bs)
	n := 0
	var goal uint32
	var scratch []byte
	var werr error
	for n < len(p) {
		pos := off + int64(n)
		lblk, boff := uint64(pos/bs), int(pos%bs)
		pblk, fresh, err := f.bmap(in, lblk, true, goal)
		if err != nil {
			werr = err
			break
		}
		goal = pblk + 1
		chunk := min(len(p)-n, f.bs-boff)
		if boff == 0 && chunk == f.bs {
			run := 1
			for run < maxRun && n+(run+1)*f.bs <= len(p) {
				next, _, err := f.bmap(in, lblk+uint64(run), true, goal)
				if err != nil {
					werr = err
					break
				}
				if next != pblk+uint32(run) {
					break // mapped; written in the next round
				}
				goal = next + 1
				run++
			}
			chunk = run * f.bs
			if err := f.holdData(p[n:n+chunk], pblk); err != nil {
				werr = err
				break
			}
			n += chunk
			if werr != nil {
				break
			}
			continue
		}
		if scratch == nil {
			scratch = make([]byte, f.bs)
		}
		if fresh {
			clear(scratch)
		} else if err := f.readDataBlocks(scratch, pblk); err != nil {
			werr = err
			break
		}
		copy(scratch[boff:], p[n:n+chunk])
		if err := f.holdData(scratch, pblk); err != nil {
			werr = err
			break
		}
		n += chunk
	}
	if n > 0 {
		if end := uint64(off) + uint64(n); end > in.d.Size {
			in.d.Size = end
			f.largeFile(end)
		}
		now := f.now()
		in.d.Mtime, in.d.Ctime = now, now
		if err := f.iput(in); err != nil {
			return n, err
		}
		return n, nil
	}
	return 0, werr
}

// largeFile sets the large_file feature when a file reaches 2 GiB.
func (f *FS) largeFile(size uint64) {
	if size >= 1<<31 && f.sb.FeatureRoCompat&disk.RoCompatLargeFile == 0 {
		f.sb.FeatureRoCompat |= disk.RoCompatLargeFile
		f.dirtySuper()
	}
}

// truncate sets the size of a regular file, freeing the blocks beyond it and zeroing the rest
// of its last block (so that a later extension reads zeros there).
func (f *FS) truncate(in *inode, size uint64) error {
	if size > f.maxSize() {
		return errFBig
	}
	if size < in.d.Size {
		bs := uint64(f.bs)
		if err := f.truncateBlocks(in, (size+bs-1)/bs); err != nil {
			return err
		}
		if tail := size % bs; tail != 0 {
			pblk, _, err := f.bmap(in, size/bs, false, 0)
			if err != nil {
				return err
			}
			if pblk != 0 {
				b := make([]byte, f.bs)
				if err := f.readDataBlocks(b, pblk); err != nil {
					return err
				}
				clear(b[tail:])
				if err := f.holdData(b, pblk); err != nil {
					return err
				}
			}
		}
	}
	in.d.Size = size
	f.largeFile(size)
	now := f.now()
	in.d.Mtime, in.d.Ctime = now, now
	return f.iput(in)
}

// addOrphan puts in, which has lost its last link but is open, on the orphan list (its i_dtime
// links to the next orphan), so that a crash before the last close does not leak it.
func (f *FS) addOrphan(in *inode) error {
	in.orphan = true
	in.d.Dtime = f.sb.LastOrphan
	f.sb.LastOrphan = in.ino
	f.dirtySuper()
	return f.iput(in)
}

// removeOrphan takes in off the orphan list.
func (f *FS) removeOrphan(in *inode) error {
	in.orphan = false
	next := in.d.Dtime
	if f.sb.LastOrphan == in.ino {
		f.sb.LastOrphan = next
		f.dirtySuper()
		return nil
	}
	for ino, n := f.sb.LastOrphan, uint32(0); ino != 0 && n < f.sb.InodesCount; n++ {
		p, err := f.iget(ino)
		if err != nil {
			return err
		}
		if p.d.Dtime == in.ino {
			p.d.Dtime = next
			return f.iput(p)
		}
		ino = p.d.Dtime
	}
	return f.corrupt("inode %d is not on the orphan list", in.ino)
}

// processOrphans frees the inodes of the orphan list (a crash left them: their files were
// unlinked while open), or cuts them to their size (a truncation the crash interrupted).
func (f *FS) processOrphans() error {
	ino := f.sb.LastOrphan
	if ino == 0 {
		return nil
	}
	freed := 0
	for n := uint32(0); ino != 0 && n < f.sb.InodesCount; n++ {
		if ino > f.sb.InodesCount || ino < f.sb.FirstIno {
			f.logf("orphan list: bad inode number %d: stopped", ino)
			break
		}
		in, err := f.iget(ino)
		if err != nil {
			return err
		}
		next := in.d.Dtime
		in.d.Dtime = 0
		if in.d.Links == 0 {
			if err := f.releaseInode(in); err != nil {
				return err
			}
			freed++
		} else {
			bs := uint64(f.bs)
			if err := f.truncateBlocks(in, (in.d.Size+bs-1)/bs); err != nil {
				return err
			}
		}
		ino = next
	}
	f.sb.LastOrphan = 0
	f.dirtySuper()
	f.logf("freed %d inodes of files deleted while open before a crash", freed)
	return nil
}
