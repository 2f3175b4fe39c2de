package sys

// This file implements the kernel's side of the file system calls. The file system itself runs
// in program context (services/fs) behind the relay, as the network stack does: calls that name
// a path are forwarded to the relay server, each directory-descriptor argument replaced by the
// server object of the descriptor (runtime/relay/wire: DirCWD, DirBadFD, DirNotDir), and calls
// on a descriptor of a served file go to its object. docs/files.md has the design.
//
// Without the file component (Files false), or before its server runs (the Go runtime probes
// /sys and /proc during its start, before package initialisation), every path is missing:
// ENOENT, silently.

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sysno"
)

// Files is set at boot when the kernel links the file component, whose server answers path
// calls.
var Files bool

const atFDCWD = -100

// dirArg returns what a forwarded call carries for directory descriptor d: the descriptor's
// server object, or a wire.Dir* marker.
func dirArg(d uint64) uint64 {
	n := int(int32(d))
	dir := int64(wire.DirCWD)
	if n == atFDCWD {
		return uint64(dir)
	}
	if obj, _, _, ok := fd.Served(n); ok {
		return uint64(obj)
	}
	if fd.Fcntl(n, 1, 0) < 0 { // F_GETFD: not open
		dir = wire.DirBadFD
	} else {
		dir = wire.DirNotDir
	}
	return uint64(dir)
}

// forwardPath forwards a path call with its arguments as translated, silently answering ENOENT
// when no file server runs. The calls that open a file carry a spare object number for the
// descriptor they make (runtime/relay/wire).
func forwardPath(r *sched.Regs, args [6]uint64) int64 {
	if !Files || !relay.Running() {
		return -errno.ENOENT
	}
	spare := int32(-1)
	switch r.RAX {
	case sysno.SYS_OPENAT, sysno.SYS_OPEN, sysno.SYS_CREAT:
		if spare = fd.AllocObj(); spare < 0 {
			return -errno.ENFILE
		}
	}
	if !relay.Forward(uint32(r.RAX), -1, 0, 0, spare, args) {
		if spare >= 0 {
			fd.FreeObj(spare)
		}
		return -errno.ENOENT
	}
	return 0 // the thread is blocked; the completion sets its result
}

func regArgs(r *sched.Regs) [6]uint64 {
	return [6]uint64{r.RDI, r.RSI, r.RDX, r.R10, r.R8, r.R9}
}

// PathCall implements the calls that name paths relative to the working directory only: open,
// creat, stat, lstat, access, readlink, mkdir, rmdir, unlink, rename, link, symlink, chmod,
// chown, lchown, truncate, chdir, statfs, utime(s).
func PathCall(r *sched.Regs) int64 { return forwardPath(r, regArgs(r)) }

// PathAt implements the calls whose first argument is a directory descriptor: openat,
// readlinkat, faccessat(2), mkdirat, unlinkat, fchmodat, fchownat, mknodat, statx.
func PathAt(r *sched.Regs) int64 {
	a := regArgs(r)
	a[0] = dirArg(a[0])
	return forwardPath(r, a)
}

// PathAt2 implements the calls with directory descriptors in their first and third arguments:
// renameat, renameat2 and linkat.
func PathAt2(r *sched.Regs) int64 {
	a := regArgs(r)
	a[0], a[2] = dirArg(a[0]), dirArg(a[2])
	return forwardPath(r, a)
}

// Symlinkat implements symlinkat(target, newdirfd, linkpath).
func Symlinkat(r *sched.Regs) int64 {
	a := regArgs(r)
	a[1] = dirArg(a[1])
	return forwardPath(r, a)
}

// Newfstatat implements newfstatat(2): on an open descriptor with AT_EMPTY_PATH and an empty
// path, otherwise on a path.
func Newfstatat(r *sched.Regs) int64 {
	const atEmptyPath = 0x1000
	if r.R10&atEmptyPath != 0 && r.RSI != 0 && *(*byte)(arch.Ptr(uintptr(r.RSI))) == 0 {
		if int32(r.RDI) != atFDCWD {
			if onServed(r) {
				return 0
			}
			return fd.Fstat(int(r.RDI), uintptr(r.RDX))
		}
	}
	return PathAt(r)
}

// Utimensat implements utimensat(2); a null path means the descriptor itself (futimens).
func Utimensat(r *sched.Regs) int64 {
	if r.RSI == 0 {
		if onServed(r) {
			return 0
		}
		if fd.Fcntl(int(r.RDI), 1, 0) < 0 {
			return -errno.EBADF
		}
		return 0 // the console's times are not kept
	}
	return PathAt(r)
}

// Getcwd implements getcwd(2): the file server keeps the working directory; without it, the
// root directory.
func Getcwd(r *sched.Regs) int64 {
	if Files && relay.Forward(uint32(r.RAX), -1, 0, 0, -1, regArgs(r)) {
		return 0
	}
	if r.RSI < 2 {
		return -errno.ERANGE
	}
	b := arch.Bytes(uintptr(r.RDI), 2)
	b[0], b[1] = '/', 0
	return 2
}

// FileCall implements the calls on a descriptor that only files of a file system answer fully:
// lseek, pwrite64, preadv, pwritev, getdents64, fsync, fdatasync, ftruncate, fchmod, fchown,
// flock, fchdir, fstatfs and fadvise64. On a served descriptor they go to its object; the
// kernel's own files (console, eventfd, epoll) answer as Linux's character devices and anonymous
// inodes do.
func FileCall(r *sched.Regs) int64 {
	if onServed(r) {
		return 0
	}
	if fd.Fcntl(int(r.RDI), 1, 0) < 0 {
		return -errno.EBADF
	}
	switch r.RAX {
	case sysno.SYS_LSEEK, sysno.SYS_PWRITE64, sysno.SYS_PREADV, sysno.SYS_PWRITEV, sysno.SYS_FADVISE64:
		return -errno.ESPIPE
	case sysno.SYS_GETDENTS64, sysno.SYS_FCHDIR:
		return -errno.ENOTDIR
	case sysno.SYS_FSYNC, sysno.SYS_FDATASYNC, sysno.SYS_FTRUNCATE:
		return -errno.EINVAL
	case sysno.SYS_FLOCK, sysno.SYS_FCHMOD, sysno.SYS_FCHOWN:
		return 0
	}
	return -errno.ENOSYS
}
