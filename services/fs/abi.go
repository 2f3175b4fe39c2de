package fs

// This file implements the binary interface with the caller: paths and buffers in its memory,
// and the records the file system calls fill (struct stat, statx, statfs, linux_dirent64), as
// laid out on x86-64 (Linux include/uapi/asm-generic/stat.h via arch/x86/include/uapi/asm/stat.h,
// include/uapi/linux/stat.h, include/uapi/asm-generic/statfs.h, fs/readdir.c).

import (
	"encoding/binary"
	"syscall"

	"github.com/unikgen/unikgen/services/relay"
)

var le = binary.LittleEndian

// userBytes is the caller's memory; a variable so that host tests can serve from their own.
var userBytes = relay.UserBytes

// readPath reads the NUL-terminated path at addr, a page at most at a time so that it never
// reads past the page holding the NUL.
func readPath(addr uint64) (string, syscall.Errno) {
	if addr == 0 {
		return "", syscall.EFAULT
	}
	var out []byte
	a := uintptr(addr)
	for len(out) < pathMax {
		n := 4096 - a%4096
		b, ok := userBytes(a, n)
		if !ok {
			return "", syscall.EFAULT
		}
		for i, c := range b {
			if c == 0 {
				return string(append(out, b[:i]...)), 0
			}
		}
		out = append(out, b...)
		a += n
	}
	return "", syscall.ENAMETOOLONG
}

// struct stat (x86-64), 144 bytes.
const statSize = 144

func putStat(addr uint64, a Attr, dev uint64) syscall.Errno {
	b, ok := userBytes(uintptr(addr), statSize)
	if !ok {
		return syscall.EFAULT
	}
	clear(b)
	le.PutUint64(b[0:], dev)
	le.PutUint64(b[8:], a.Ino)
	le.PutUint64(b[16:], uint64(a.Nlink))
	le.PutUint32(b[24:], a.Mode)
	le.PutUint32(b[28:], a.UID)
	le.PutUint32(b[32:], a.GID)
	le.PutUint64(b[40:], a.Rdev)
	le.PutUint64(b[48:], uint64(a.Size))
	le.PutUint64(b[56:], 4096)
	le.PutUint64(b[64:], uint64(a.Blocks))
	for i, t := range [3]int64{a.Atime, a.Mtime, a.Ctime} {
		le.PutUint64(b[72+16*i:], uint64(t/1e9))
		le.PutUint64(b[80+16*i:], uint64(t%1e9))
	}
	return 0
}

// struct statx, 256 bytes. The basic fields are always filled (STATX_BASIC_STATS).
const (
	statxSize          = 256
	statxBasicStats    = 0x7ff
	statxAttrMountRoot = 0x2000
)

func putStatx(addr uint64, a Attr, dev uint64) syscall.Errno {
	b, ok := userBytes(uintptr(addr), statxSize)
	if !ok {
		return syscall.EFAULT
	}
	clear(b)
	le.PutUint32(b[0:], statxBasicStats)
	le.PutUint32(b[4:], 4096)
	le.PutUint32(b[16:], a.Nlink)
	le.PutUint32(b[20:], a.UID)
	le.PutUint32(b[24:], a.GID)
	le.PutUint16(b[28:], uint16(a.Mode))
	le.PutUint64(b[32:], a.Ino)
	le.PutUint64(b[40:], uint64(a.Size))
	le.PutUint64(b[48:], uint64(a.Blocks))
	for off, t := range map[int]int64{64: a.Atime, 96: a.Ctime, 112: a.Mtime} {
		le.PutUint64(b[off:], uint64(t/1e9))
		le.PutUint32(b[off+8:], uint32(t%1e9))
	}
	le.PutUint32(b[128:], uint32(a.Rdev>>8&0xfff))
	le.PutUint32(b[132:], uint32(a.Rdev&0xff))
	le.PutUint32(b[136:], 0)
	le.PutUint32(b[140:], uint32(dev))
	return 0
}

// struct statfs (x86-64), 120 bytes.
const statfsSize = 120

func putStatfs(addr uint64, s Statfs, dev uint64) syscall.Errno {
	b, ok := userBytes(uintptr(addr), statfsSize)
	if !ok {
		return syscall.EFAULT
	}
	clear(b)
	le.PutUint64(b[0:], uint64(s.Type))
	le.PutUint64(b[8:], uint64(s.Bsize))
	le.PutUint64(b[16:], uint64(s.Blocks))
	le.PutUint64(b[24:], uint64(s.Bfree))
	le.PutUint64(b[32:], uint64(s.Bfree)) // f_bavail
	le.PutUint64(b[40:], uint64(s.Files))
	le.PutUint64(b[48:], uint64(s.Ffree))
	le.PutUint32(b[56:], uint32(dev)) // f_fsid
	le.PutUint64(b[64:], uint64(s.Namelen))
	le.PutUint64(b[72:], uint64(s.Bsize)) // f_frsize
	var flags uint64 = 0x400              // ST_NOATIME
	if s.ReadOnly {
		flags |= 1 // ST_RDONLY
	}
	le.PutUint64(b[80:], flags)
	return 0
}

// dtype is the d_type of linux_dirent64 for a file type.
func dtype(mode uint32) byte {
	return byte(mode & S_IFMT >> 12)
}

// putDirent appends a linux_dirent64 record for e to b if it fits; off is its d_off (the
// offset of the next entry).
func putDirent(b []byte, ino uint64, off int64, typ byte, name string) ([]byte, bool) {
	n := (19 + len(name) + 1 + 7) &^ 7
	if len(b)+n > cap(b) {
		return b, false
	}
	i := len(b)
	b = b[:i+n]
	clear(b[i:])
	le.PutUint64(b[i:], ino)
	le.PutUint64(b[i+8:], uint64(off))
	le.PutUint16(b[i+16:], uint16(n))
	b[i+18] = typ
	copy(b[i+19:], name)
	return b, true
}
