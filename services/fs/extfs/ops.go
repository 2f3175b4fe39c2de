package extfs

// This file implements services/fs's FileSystem on a mounted file system: names are paths
// relative to its root, already resolved by the VFS (no symbolic link among their directories).

import (
	"strings"
	"syscall"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/disk"
)

// maxLinks is the largest link count of an inode (EXT2_LINK_MAX).
const maxLinks = 65000

var _ fs.FileSystem = (*FS)(nil)

// walk returns the inode of name.
func (f *FS) walk(name string) (*inode, error) {
	in, err := f.iget(disk.RootIno)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return in, nil
	}
	for _, c := range strings.Split(name, "/") {
		if !in.d.IsDir() {
			return nil, errNotDir
		}
		ino, _, err := f.lookup(in, c)
		if err != nil {
			return nil, err
		}
		if in, err = f.live(ino); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// live returns inode ino, which a directory entry names: it must be in use.
func (f *FS) live(ino uint32) (*inode, error) {
	in, err := f.iget(ino)
	if err != nil {
		return nil, err
	}
	if in.d.Links == 0 && !in.orphan || in.d.Mode == 0 {
		return nil, f.corrupt("a directory entry names inode %d, which is not in use", ino)
	}
	return in, nil
}

// parent returns the directory holding name and name's last element.
func (f *FS) parent(name string) (*inode, string, error) {
	if name == "" {
		return nil, "", errBusy
	}
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	d, err := f.walk(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.d.IsDir() {
		return nil, "", errNotDir
	}
	if len(base) > disk.NameMax {
		return nil, "", errNameLong
	}
	return d, base, nil
}

// entry returns the directory holding name, name's last element, the location of its entry in
// the directory and the inode the entry names.
func (f *FS) entry(name string) (dir *inode, base string, loc dirLoc, in *inode, err error) {
	dir, base, err = f.parent(name)
	if err != nil {
		return nil, "", dirLoc{}, nil, err
	}
	ino, loc, err := f.lookup(dir, base)
	if err != nil {
		return nil, "", dirLoc{}, nil, err
	}
	if in, err = f.live(ino); err != nil {
		return nil, "", dirLoc{}, nil, err
	}
	return dir, base, loc, in, nil
}

// newName returns the directory that is to hold name, which must not exist (errExist), and
// name's last element.
func (f *FS) newName(name string) (*inode, string, error) {
	dir, base, err := f.parent(name)
	if err != nil {
		return nil, "", err
	}
	if _, _, err := f.lookup(dir, base); err != errNoEnt {
		if err == nil {
			return nil, "", errExist
		}
		return nil, "", err
	}
	return dir, base, nil
}

// Lstat implements fs.FileSystem.
func (f *FS) Lstat(name string) (a fs.Attr, err error) {
	err = f.op(false, func() error {
		in, err := f.walk(name)
		if err == nil {
			a = f.attr(in)
		}
		return err
	})
	return a, err
}

// Readlink implements fs.FileSystem.
func (f *FS) Readlink(name string) (t string, err error) {
	err = f.op(false, func() error {
		in, err := f.walk(name)
		if err != nil {
			return err
		}
		t, err = f.readlink(in)
		return err
	})
	return t, err
}

func (f *FS) readlink(in *inode) (string, error) {
	if !in.d.IsSymlink() {
		return "", errInval
	}
	if in.d.FastSymlink(f.bs) {
		var b [disk.FastSymlinkMax]byte
		for i, v := range in.d.Block {
			le.PutUint32(b[4*i:], v)
		}
		return string(b[:in.d.Size]), nil
	}
	if in.d.Size >= uint64(f.bs) {
		return "", f.corrupt("symbolic link inode %d is %d bytes long", in.ino, in.d.Size)
	}
	pblk, _, err := f.bmap(in, 0, false, 0)
	if err != nil {
		return "", err
	}
	if pblk == 0 {
		return "", f.corrupt("symbolic link inode %d has no block", in.ino)
	}
	b, err := f.bread(pblk)
	if err != nil {
		return "", err
	}
	return string(b.data[:in.d.Size]), nil
}

// Open implements fs.FileSystem.
func (f *FS) Open(name string, flags int, perm uint32) (h fs.Handle, err error) {
	write := flags&syscall.O_ACCMODE != syscall.O_RDONLY
	create := flags&syscall.O_CREAT != 0
	err = f.op(false, func() error {
		in, err := f.walk(name)
		switch {
		case err == errNoEnt && create:
			if f.readOnly != nil {
				return errROFS
			}
			dir, base, err := f.parent(name)
			if err != nil {
				return err
			}
			if in, err = f.create(dir, base, disk.ModeReg|uint16(perm&0o7777)); err != nil {
				return err
			}
		case err != nil:
			return err
		case create && flags&syscall.O_EXCL != 0:
			return errExist
		case in.d.IsDir() && (write || create):
			return errIsDir
		case !in.d.IsDir() && flags&syscall.O_DIRECTORY != 0:
			return errNotDir
		case in.d.IsSymlink():
			return syscall.ELOOP
		case !in.d.IsDir() && !in.d.IsReg():
			return errNXIO // device nodes, FIFOs and sockets of a volume lead nowhere
		case write && f.readOnly != nil:
			return errROFS
		case write && flags&syscall.O_TRUNC != 0 && in.d.Size > 0:
			if err := f.truncate(in, 0); err != nil {
				return err
			}
		}
		in.open++
		h = &handle{f: f, in: in}
		return nil
	})
	return h, err
}

// create makes a file of the given mode named base in dir.
func (f *FS) create(dir *inode, base string, mode uint16) (*inode, error) {
	in, err := f.newInode(dir, mode)
	if err != nil {
		return nil, err
	}
	if err := f.addEntry(dir, base, in.ino, disk.FileType(mode)); err != nil {
		f.releaseInode(in)
		return nil, err
	}
	return in, nil
}

// Mkdir implements fs.FileSystem.
func (f *FS) Mkdir(name string, perm uint32) error {
	return f.op(true, func() error {
		dir, base, err := f.newName(name)
		if err == errBusy {
			return errExist
		}
		if err != nil {
			return err
		}
		if dir.d.Links >= maxLinks {
			return errMLink
		}
		in, err := f.newInode(dir, disk.ModeDir|uint16(perm&0o7777))
		if err != nil {
			return err
		}
		in.d.Links = 2
		if err := f.initDir(in, dir.ino); err != nil {
			f.releaseInode(in)
			return err
		}
		if err := f.addEntry(dir, base, in.ino, disk.FtDir); err != nil {
			f.releaseInode(in)
			return err
		}
		dir.d.Links++
		return f.iput(dir)
	})
}

// Remove implements fs.FileSystem.
func (f *FS) Remove(name string, isDir bool) error {
	return f.op(true, func() error {
		dir, _, loc, in, err := f.entry(name)
		if err != nil {
			return err
		}
		switch {
		case in.d.IsDir() && !isDir:
			return errIsDir
		case !in.d.IsDir() && isDir:
			return errNotDir
		}
		if in.d.IsDir() {
			empty, err := f.isEmpty(in)
			if err != nil {
				return err
			}
			if !empty {
				return errNotEmpty
			}
		}
		if err := f.removeEntry(dir, loc); err != nil {
			return err
		}
		if in.d.IsDir() {
			dir.d.Links--
			if err := f.iput(dir); err != nil {
				return err
			}
		}
		return f.unlink(in)
	})
}

// unlink drops one link of in (a directory loses both of its own): at the last it is freed,
// or put on the orphan list while files are open on it.
func (f *FS) unlink(in *inode) error {
	in.d.Ctime = f.now()
	if in.d.IsDir() || in.d.Links <= 1 {
		in.d.Links = 0
	} else {
		in.d.Links--
	}
	if in.d.Links > 0 {
		return f.iput(in)
	}
	if in.open > 0 {
		return f.addOrphan(in)
	}
	return f.releaseInode(in)
}

// Rename implements fs.FileSystem: one transaction, so that a crash leaves either name.
func (f *FS) Rename(from, to string, noReplace bool) error {
	return f.op(true, func() error {
		fdir, fbase, floc, src, err := f.entry(from)
		if err != nil {
			return err
		}
		tdir, tbase, err := f.parent(to)
		if err != nil {
			return err
		}
		if from == to {
			return nil
		}
		if src.d.IsDir() && strings.HasPrefix(to, from+"/") {
			return errInval // a directory into itself
		}
		dino, tloc, err := f.lookup(tdir, tbase)
		var dst *inode
		switch {
		case err == errNoEnt:
		case err != nil:
			return err
		case noReplace:
			return errExist
		default:
			if dst, err = f.live(dino); err != nil {
				return err
			}
			if dst == src {
				return nil // two links of one file: nothing to do (rename(2))
			}
			switch {
			case src.d.IsDir() && !dst.d.IsDir():
				return errNotDir
			case !src.d.IsDir() && dst.d.IsDir():
				return errIsDir
			case dst.d.IsDir():
				empty, err := f.isEmpty(dst)
				if err != nil {
					return err
				}
				if !empty {
					return errNotEmpty
				}
			}
		}
		moveDir := src.d.IsDir() && fdir != tdir
		if moveDir && dst == nil && tdir.d.Links >= maxLinks {
			return errMLink
		}
		typ := disk.FileType(src.d.Mode)
		if dst != nil {
			if err := f.setEntry(tdir, tloc, src.ino, typ); err != nil {
				return err
			}
		} else if err := f.addEntry(tdir, tbase, src.ino, typ); err != nil {
			return err
		}
		// The source entry may have moved if addEntry split its record: find it again.
		if _, floc, err = f.lookup(fdir, fbase); err != nil {
			return err
		}
		if err := f.removeEntry(fdir, floc); err != nil {
			return err
		}
		if moveDir {
			if err := f.setDotDot(src, tdir.ino); err != nil {
				return err
			}
			fdir.d.Links--
			if dst == nil {
				tdir.d.Links++
			}
		} else if src.d.IsDir() && dst != nil {
			tdir.d.Links-- // the replaced directory's ".." is gone
		}
		src.d.Ctime = f.now()
		for _, in := range []*inode{src, fdir, tdir} {
			if err := f.iput(in); err != nil {
				return err
			}
		}
		if dst != nil {
			return f.unlink(dst)
		}
		return nil
	})
}

// Symlink implements fs.FileSystem.
func (f *FS) Symlink(target, name string) error {
	return f.op(true, func() error {
		dir, base, err := f.newName(name)
		if err != nil {
			return err
		}
		if len(target) >= f.bs {
			return errNameLong
		}
		in, err := f.newInode(dir, disk.ModeLnk|0o777)
		if err != nil {
			return err
		}
		in.d.Size = uint64(len(target))
		if len(target) < disk.FastSymlinkMax {
			var b [disk.FastSymlinkMax]byte
			copy(b[:], target)
			for i := range in.d.Block {
				in.d.Block[i] = le.Uint32(b[4*i:])
			}
		} else {
			pblk, _, err := f.bmap(in, 0, true, 0)
			if err != nil {
				f.releaseInode(in)
				return err
			}
			b := f.bnew(pblk)
			copy(b.data, target)
			f.dirty(b)
		}
		if err := f.iput(in); err != nil {
			return err
		}
		if err := f.addEntry(dir, base, in.ino, disk.FtSymlink); err != nil {
			f.releaseInode(in)
			return err
		}
		return nil
	})
}

// Link implements fs.FileSystem.
func (f *FS) Link(oldname, newname string) error {
	return f.op(true, func() error {
		src, err := f.walk(oldname)
		if err != nil {
			return err
		}
		if src.d.IsDir() {
			return errPerm
		}
		if src.d.Links >= maxLinks {
			return errMLink
		}
		dir, base, err := f.newName(newname)
		if err != nil {
			return err
		}
		if err := f.addEntry(dir, base, src.ino, disk.FileType(src.d.Mode)); err != nil {
			return err
		}
		src.d.Links++
		src.d.Ctime = f.now()
		return f.iput(src)
	})
}

// Setattr implements fs.FileSystem.
func (f *FS) Setattr(name string, s fs.SetAttr) error {
	return f.op(true, func() error {
		in, err := f.walk(name)
		if err != nil {
			return err
		}
		return f.setattr(in, s)
	})
}

func (f *FS) setattr(in *inode, s fs.SetAttr) error {
	if s.Size != nil {
		switch {
		case in.d.IsDir():
			return errIsDir
		case !in.d.IsReg():
			return errInval
		case *s.Size < 0:
			return errInval
		}
		if err := f.truncate(in, uint64(*s.Size)); err != nil {
			return err
		}
	}
	if s.Mode != nil {
		in.d.Mode = in.d.Mode&disk.ModeFmt | uint16(*s.Mode&0o7777)
	}
	if s.UID != nil {
		in.d.UID = *s.UID
	}
	if s.GID != nil {
		in.d.GID = *s.GID
	}
	if s.Atime != nil {
		in.d.Atime = *s.Atime
	}
	if s.Mtime != nil {
		in.d.Mtime = *s.Mtime
	}
	in.d.Ctime = f.now()
	return f.iput(in)
}

// Statfs implements fs.FileSystem. It never waits for an operation in progress: it answers
// as of the last one.
func (f *FS) Statfs() fs.Statfs {
	if st := f.stat.Load(); st != nil {
		return *st
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statfs()
}

// TypeName names the file system in /proc/self/mounts: ext3 with a journal, else ext2.
func (f *FS) TypeName() string {
	if f.jnl != nil {
		return "ext3"
	}
	return "ext2"
}
