package fs

import (
	"errors"
	"io"
	iofs "io/fs"
	"syscall"
)

// File types and permission bits of Attr.Mode (Linux include/uapi/linux/stat.h).
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// Attr is what stat(2) reports about a file.
type Attr struct {
	Mode                uint32 // S_IF* type and permission bits
	Ino                 uint64
	Nlink               uint32
	UID, GID            uint32
	Size                int64
	Blocks              int64 // 512-byte blocks
	Rdev                uint64
	Atime, Mtime, Ctime int64 // nanoseconds since the Unix epoch
}

// IsDir reports whether a is a directory's.
func (a Attr) IsDir() bool { return a.Mode&S_IFMT == S_IFDIR }

// SetAttr says which attributes to change (chmod, chown, truncate, utimensat).
type SetAttr struct {
	Mode         *uint32 // permission bits only
	UID, GID     *uint32
	Size         *int64
	Atime, Mtime *int64
}

// A DirEntry is one name of a directory.
type DirEntry struct {
	Name string
	Ino  uint64
	Mode uint32 // S_IF* type
}

// A FileSystem is one mounted file system. Names are paths relative to its root: clean, without
// a leading slash, "" for the root itself. The VFS resolves symbolic links and mount points
// before it calls a FileSystem, so a name's directories exist and are not links (a FileSystem
// still checks, as a race with a removal can break that).
//
// Errors are syscall.Errno values (Linux's), or io/fs's ErrNotExist, ErrExist and ErrPermission.
type FileSystem interface {
	// Lstat returns the attributes of name, not following a final symbolic link.
	Lstat(name string) (Attr, error)
	// Readlink returns the target of the symbolic link name.
	Readlink(name string) (string, error)
	// Open opens name with open(2)'s flags (access mode, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY)
	// and perm for a file it creates; name is not a symbolic link.
	Open(name string, flags int, perm uint32) (Handle, error)
	Mkdir(name string, perm uint32) error
	// Remove removes a file or, with dir, an empty directory.
	Remove(name string, dir bool) error
	// Rename moves from to to, replacing to as rename(2) does; noReplace fails with EEXIST when
	// to exists.
	Rename(from, to string, noReplace bool) error
	Symlink(target, name string) error
	Link(oldname, newname string) error
	Setattr(name string, s SetAttr) error
	Statfs() Statfs
}

// A Handle is an open file of a FileSystem.
type Handle interface {
	ReadAt(p []byte, off int64) (int, error) // io.EOF at the end, as io.ReaderAt
	WriteAt(p []byte, off int64) (int, error)
	Attr() (Attr, error)
	Setattr(s SetAttr) error
	// ReadDir lists a directory (without "." and "..").
	ReadDir() ([]DirEntry, error)
	Sync() error
	Close() error
}

// Statfs is what statfs(2) reports.
type Statfs struct {
	Type                 int64 // f_type magic
	Bsize                int64
	Blocks, Bfree, Files int64
	Ffree                int64
	Namelen              int64
	ReadOnly             bool
}

// Optional Handle methods.
type (
	// A sizer has a size that lseek(SEEK_END) and ioctl(BLKGETSIZE64) report although stat
	// says 0: a block device.
	sizer interface{ Size() int64 }
	// A stream has no offset: read and write ignore it (character devices).
	stream interface{ Stream() bool }
	// An ioctler answers ioctl(2) requests of its own.
	ioctler interface {
		Ioctl(req uintptr, arg uintptr) (int64, bool)
	}
)

// errnoOf maps an error of a FileSystem to a Linux error number.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e
	case errors.Is(err, iofs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, iofs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, iofs.ErrPermission):
		return syscall.EACCES
	case errors.Is(err, iofs.ErrInvalid):
		return syscall.EINVAL
	case errors.Is(err, io.ErrUnexpectedEOF):
		return syscall.EIO
	}
	return syscall.EIO
}
