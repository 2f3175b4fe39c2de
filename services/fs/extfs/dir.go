package extfs

// This file implements directories: linear lists of ext2_dir_entry_2 records in the
// directory's blocks (package disk). Hashed directories (dir_index) are read the same way: their
// index blocks look like empty records to a linear reader. A change to one clears its index
// flag, so that Linux and e2fsck read it linearly too.

import (
	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/disk"
)

// dirLoc is where an entry is: its directory block and offset.
type dirLoc struct {
	buf *buf
	off int
}

// dirBlock returns the buffer and records of directory block lblk, or nil for a hole.
func (f *FS) dirBlock(dir *inode, lblk uint64) (*buf, []disk.Dirent, error) {
	pblk, _, err := f.bmap(dir, lblk, false, 0)
	if err != nil || pblk == 0 {
		return nil, nil, err
	}
	b, err := f.bread(pblk)
	if err != nil {
		return nil, nil, err
	}
	ents, err := disk.ParseDirBlock(b.data, f.filetype)
	if err != nil {
		return nil, nil, f.corrupt("directory inode %d, block %d: %v", dir.ino, lblk, err)
	}
	return b, ents, nil
}

// dirBlocks returns the number of blocks of dir. A directory has no holes, so its size cannot
// exceed the blocks it owns: a larger size is corruption (and would make every scan of it
// endless).
func (f *FS) dirBlocks(dir *inode) (uint64, error) {
	n := (dir.d.Size + uint64(f.bs) - 1) / uint64(f.bs)
	owned := dir.d.Blocks * 512 / uint64(f.bs)
	if dir.d.Flags&disk.FlagHugeFile != 0 {
		owned = dir.d.Blocks
	}
	if n > owned || n > f.maxBlocks() {
		return 0, f.corrupt("directory inode %d is %d bytes long but owns %d blocks", dir.ino, dir.d.Size, owned)
	}
	return n, nil
}

// scan calls fn with each record of dir and its block, in order, until fn says stop or fails.
// It returns the number of dir's blocks.
func (f *FS) scan(dir *inode, fn func(b *buf, e disk.Dirent) (stop bool, err error)) (uint64, error) {
	nb, err := f.dirBlocks(dir)
	if err != nil {
		return 0, err
	}
	for lb := uint64(0); lb < nb; lb++ {
		b, ents, err := f.dirBlock(dir, lb)
		if err != nil {
			return 0, err
		}
		for _, e := range ents {
			if stop, err := fn(b, e); stop || err != nil {
				return nb, err
			}
		}
	}
	return nb, nil
}

// lookup finds name in dir.
func (f *FS) lookup(dir *inode, name string) (uint32, dirLoc, error) {
	if !dir.d.IsDir() {
		return 0, dirLoc{}, errNotDir
	}
	if len(name) > disk.NameMax {
		return 0, dirLoc{}, errNameLong
	}
	var ino uint32
	var loc dirLoc
	_, err := f.scan(dir, func(b *buf, e disk.Dirent) (bool, error) {
		if e.Inode == 0 || e.Name != name {
			return false, nil
		}
		if e.Inode > f.sb.InodesCount {
			return true, f.corrupt("directory inode %d: entry %q names inode %d", dir.ino, name, e.Inode)
		}
		ino, loc = e.Inode, dirLoc{b, e.Off}
		return true, nil
	})
	if err != nil {
		return 0, dirLoc{}, err
	}
	if ino == 0 {
		return 0, dirLoc{}, errNoEnt
	}
	return ino, loc, nil
}

// entries lists dir without "." and "..".
func (f *FS) entries(dir *inode) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	_, err := f.scan(dir, func(_ *buf, e disk.Dirent) (bool, error) {
		if e.Inode == 0 || e.Name == "." || e.Name == ".." {
			return false, nil
		}
		var mode uint32
		if f.filetype && e.Type != disk.FtUnknown {
			mode = ftMode(e.Type)
		} else if in, err := f.iget(e.Inode); err == nil {
			mode = uint32(in.d.Mode & disk.ModeFmt)
		}
		out = append(out, fs.DirEntry{Name: e.Name, Ino: uint64(e.Inode), Mode: mode})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ftMode(t uint8) uint32 {
	switch t {
	case disk.FtReg:
		return fs.S_IFREG
	case disk.FtDir:
		return fs.S_IFDIR
	case disk.FtChr:
		return fs.S_IFCHR
	case disk.FtBlk:
		return fs.S_IFBLK
	case disk.FtFifo:
		return fs.S_IFIFO
	case disk.FtSock:
		return fs.S_IFSOCK
	case disk.FtSymlink:
		return fs.S_IFLNK
	}
	return 0
}

// touchDir records a change of dir's entries: its times, and the end of its hashed index.
func (f *FS) touchDir(dir *inode) error {
	now := f.now()
	dir.d.Mtime, dir.d.Ctime = now, now
	dir.d.Flags &^= disk.FlagIndex
	return f.iput(dir)
}

// addEntry adds name → ino (of file type typ) to dir: in the first record with room to spare,
// else in a new block.
func (f *FS) addEntry(dir *inode, name string, ino uint32, typ uint8) error {
	if len(name) > disk.NameMax {
		return errNameLong
	}
	need := disk.DirentLen(len(name))
	added := false
	n, err := f.scan(dir, func(b *buf, e disk.Dirent) (bool, error) {
		if e.Inode == 0 && e.RecLen >= need {
			disk.PutDirent(b.data, e.Off, ino, e.RecLen, name, typ, f.filetype)
		} else if used := disk.DirentLen(len(e.Name)); e.Inode != 0 && e.RecLen-used >= need {
			disk.SetRecLen(b.data, e.Off, used)
			disk.PutDirent(b.data, e.Off+used, ino, e.RecLen-used, name, typ, f.filetype)
		} else {
			return false, nil
		}
		f.dirty(b)
		added = true
		return true, nil
	})
	if err != nil {
		return err
	}
	if added {
		return f.touchDir(dir)
	}
	if n >= f.maxBlocks() {
		return errFBig
	}
	var goal uint32
	if n > 0 {
		if p, _, err := f.bmap(dir, n-1, false, 0); err == nil && p != 0 {
			goal = p + 1
		}
	}
	pblk, _, err := f.bmap(dir, n, true, goal)
	if err != nil {
		return err
	}
	b := f.bnew(pblk)
	disk.PutDirent(b.data, 0, ino, f.bs, name, typ, f.filetype)
	f.dirty(b)
	dir.d.Size = (n + 1) * uint64(f.bs)
	return f.touchDir(dir)
}

// removeEntry takes the entry at loc out of dir: it joins the previous record of its block, or,
// first in the block, becomes unused.
func (f *FS) removeEntry(dir *inode, loc dirLoc) error {
	ents, err := disk.ParseDirBlock(loc.buf.data, f.filetype)
	if err != nil {
		return f.corrupt("directory inode %d: %v", dir.ino, err)
	}
	for i, e := range ents {
		if e.Off != loc.off {
			continue
		}
		if i == 0 {
			disk.SetDirentInode(loc.buf.data, e.Off, 0, 0, f.filetype)
		} else {
			p := ents[i-1]
			disk.SetRecLen(loc.buf.data, p.Off, p.RecLen+e.RecLen)
		}
		f.dirty(loc.buf)
		return f.touchDir(dir)
	}
	return f.corrupt("directory inode %d: no entry at offset %d", dir.ino, loc.off)
}

// setEntry points the entry at loc to another inode (a rename over an existing name).
func (f *FS) setEntry(dir *inode, loc dirLoc, ino uint32, typ uint8) error {
	disk.SetDirentInode(loc.buf.data, loc.off, ino, typ, f.filetype)
	f.dirty(loc.buf)
	return f.touchDir(dir)
}

// isEmpty reports whether dir holds nothing but "." and "..".
func (f *FS) isEmpty(dir *inode) (bool, error) {
	empty := true
	_, err := f.scan(dir, func(_ *buf, e disk.Dirent) (bool, error) {
		if e.Inode != 0 && e.Name != "." && e.Name != ".." {
			empty = false
		}
		return !empty, nil
	})
	return empty && err == nil, err
}

// initDir writes the first block of a new directory: "." and "..".
func (f *FS) initDir(dir *inode, parent uint32) error {
	pblk, _, err := f.bmap(dir, 0, true, 0)
	if err != nil {
		return err
	}
	b := f.bnew(pblk)
	disk.PutDirent(b.data, 0, dir.ino, 12, ".", disk.FtDir, f.filetype)
	disk.PutDirent(b.data, 12, parent, f.bs-12, "..", disk.FtDir, f.filetype)
	f.dirty(b)
	dir.d.Size = uint64(f.bs)
	return f.iput(dir)
}

// setDotDot points dir's ".." entry to parent.
func (f *FS) setDotDot(dir *inode, parent uint32) error {
	b, ents, err := f.dirBlock(dir, 0)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name == ".." {
			disk.SetDirentInode(b.data, e.Off, parent, disk.FtDir, f.filetype)
			f.dirty(b)
			return f.touchDir(dir)
		}
	}
	return f.corrupt("directory inode %d has no '..' entry", dir.ino)
}
