package extfs

import (
	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/disk"
)

// inode is an inode in memory: its decoded fields, and the open files that hold it.
type inode struct {
	ino  uint32
	d    disk.Inode
	open int // open handles
	// orphan is set when the inode lost its last link while open: it is on the orphan list and
	// freed when the last handle closes.
	orphan bool
	// ra is the read-ahead of the inode's sequential reads (file.go).
	ra readAhead
}

// inodeLoc returns the block and offset of inode ino in its group's inode table.
func (f *FS) inodeLoc(ino uint32) (uint32, int, error) {
	if ino == 0 || ino > f.sb.InodesCount {
		return 0, 0, f.corrupt("inode number %d outside 1..%d", ino, f.sb.InodesCount)
	}
	g := (ino - 1) / f.sb.InodesPerGroup
	idx := (ino - 1) % f.sb.InodesPerGroup
	isz := uint32(f.sb.InodeSize)
	blk := f.groups[g].InodeTable + idx*isz/uint32(f.bs)
	return blk, int(idx*isz) % f.bs, nil
}

// inodeBytes returns the buffer of the inode table block that holds inode ino, and the inode's
// bytes in it.
func (f *FS) inodeBytes(ino uint32) (*buf, []byte, error) {
	blk, off, err := f.inodeLoc(ino)
	if err != nil {
		return nil, nil, err
	}
	b, err := f.bread(blk)
	if err != nil {
		return nil, nil, err
	}
	return b, b.data[off : off+int(f.sb.InodeSize)], nil
}

// iget returns inode ino.
func (f *FS) iget(ino uint32) (*inode, error) {
	if in, ok := f.inodes[ino]; ok {
		return in, nil
	}
	_, raw, err := f.inodeBytes(ino)
	if err != nil {
		return nil, err
	}
	in := &inode{ino: ino, d: disk.DecodeInode(raw)}
	f.inodes[ino] = in
	return in, nil
}

// iput writes in's fields into the inode table, in the running transaction.
func (f *FS) iput(in *inode) error {
	b, raw, err := f.inodeBytes(in.ino)
	if err != nil {
		return err
	}
	in.d.Encode(raw)
	f.dirty(b)
	return nil
}

// trimInodes forgets the inodes no open file holds, once there are many.
func (f *FS) trimInodes() {
	if len(f.inodes) < 4096 {
		return
	}
	for ino, in := range f.inodes {
		if in.open == 0 && !in.orphan {
			delete(f.inodes, ino)
		}
	}
}

// attr returns what stat(2) reports about in.
func (f *FS) attr(in *inode) fs.Attr {
	d := &in.d
	a := fs.Attr{
		Mode: uint32(d.Mode), Ino: uint64(in.ino), Nlink: uint32(d.Links), UID: d.UID, GID: d.GID,
		Size: int64(d.Size), Blocks: int64(d.Blocks), Atime: d.Atime, Mtime: d.Mtime, Ctime: d.Ctime,
	}
	if d.Flags&disk.FlagHugeFile != 0 {
		a.Blocks *= int64(f.bs / 512)
	}
	switch d.Mode & disk.ModeFmt {
	case disk.ModeChr, disk.ModeBlk:
		a.Rdev = d.Rdev()
		a.Size = 0
	}
	return a
}

// newInode allocates and initialises an inode of the given mode near directory parent.
func (f *FS) newInode(parent *inode, mode uint16) (*inode, error) {
	ino, err := f.allocInode(parent.ino, mode&disk.ModeFmt == disk.ModeDir)
	if err != nil {
		return nil, err
	}
	now := f.now()
	f.gen++
	in := &inode{ino: ino, d: disk.Inode{
		Mode: mode, Links: 1, Atime: now, Ctime: now, Mtime: now, Crtime: now,
		Generation: f.gen,
	}}
	if f.sb.InodeSize > disk.GoodOldInodeSize {
		in.d.ExtraIsize = disk.ExtraIsize
		if m := f.sb.MinExtraIsize; f.sb.FeatureRoCompat&disk.RoCompatExtraIsize != 0 && m > in.d.ExtraIsize && int(m) <= int(f.sb.InodeSize)-disk.GoodOldInodeSize {
			in.d.ExtraIsize = m
		}
	}
	// The slot may hold an old inode's bytes: clear it before encoding the new one.
	_, raw, err := f.inodeBytes(ino)
	if err != nil {
		return nil, err
	}
	clear(raw)
	f.inodes[ino] = in
	return in, f.iput(in)
}

// releaseInode frees an inode that has no link left: its blocks, its extended attribute
// block, then the inode itself.
func (f *FS) releaseInode(in *inode) error {
	if err := f.truncateBlocks(in, 0); err != nil {
		return err
	}
	if in.d.FileACL != 0 {
		if err := f.releaseXattr(in.d.FileACL); err != nil {
			return err
		}
		in.d.FileACL = 0
	}
	in.d.Links = 0
	in.d.Dtime = uint32(f.now() / 1e9)
	in.d.Size = 0
	in.d.Blocks = 0
	if err := f.iput(in); err != nil {
		return err
	}
	if err := f.freeInode(in.ino, in.d.IsDir()); err != nil {
		return err
	}
	delete(f.inodes, in.ino)
	return nil
}

// releaseXattr drops one reference to an extended attribute block, freeing it at the last.
func (f *FS) releaseXattr(blk uint32) error {
	if err := f.checkBlock(blk, "extended attribute block"); err != nil {
		return nil // left alone: e2fsck will say more
	}
	b, err := f.bread(blk)
	if err != nil {
		return err
	}
	n, ok := disk.XattrRefcount(b.data)
	if !ok {
		f.logf("extended attribute block %d has a bad header: not freed", blk)
		return nil
	}
	if n > 1 {
		disk.SetXattrRefcount(b.data, n-1)
		f.dirty(b)
		return nil
	}
	return f.freeBlock(blk)
}
