// Package fd implements the program's file descriptors: the descriptor table, the open file
// descriptions it points to (shared by dup'd descriptors, as on Linux), and the kinds of file the
// kernel serves itself: the console on descriptors 0, 1 and 2 (runtime/console: input from the
// host, output to the console device), pipes (pipe.go), eventfd(2) counters and epoll(7)
// instances. The Go runtime needs the last two even in a program without networking: its first
// timer starts the netpoller, which waits in epoll_pwait and is woken through an eventfd.
//
// Files of the served kind (sockets, and files of a file system) belong to the program-context
// server of runtime/relay: runtime/sys forwards the calls on them, and this package keeps what
// the kernel must answer itself: the descriptor, its flags, and the object's readiness for epoll,
// which the server reports with each completion and with notifications (served.go).
//
// Reference: Linux pipe(7), pipe2(2), eventfd(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2),
// fcntl(2), dup(2); include/uapi/linux/eventpoll.h (struct epoll_event is packed on x86-64: 12 bytes).
package fd

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/console"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
)

// MaxFiles bounds the descriptor table (reported as RLIMIT_NOFILE) and the open files.
const MaxFiles = 1024

// File kinds.
const (
	kindNone = iota
	kindConsole
	kindEventfd
	kindEpoll
	kindServed
	kindPipe
)

// Flags (include/uapi/asm-generic/fcntl.h).
const (
	oACCMODE  = 03
	oRDWR     = 02
	oAPPEND   = 02000
	oNONBLOCK = 04000
	oCLOEXEC  = 02000000
)

// file is an open file description: what a descriptor refers to, shared by its duplicates.
type file struct {
	kind     uint8
	pollable bool  // served files: epoll accepts it (sockets yes, regular files no)
	flags    int   // status flags: access mode, O_NONBLOCK, O_APPEND
	refs     int32 // descriptors referring to it
	obj      int32 // index into the kind's table, or the server's object
	gen      uint32
}

// descriptor is one slot of the descriptor table.
type descriptor struct {
	file    int32 // index into files plus one; 0 = free
	cloexec bool
}

var (
	fds   [MaxFiles]descriptor
	files [MaxFiles]file
)

// Init opens the console on descriptors 0, 1 and 2.
func Init() {
	for i := 0; i < 3; i++ {
		files[i] = file{kind: kindConsole, flags: oRDWR, refs: 1, pollable: true}
		fds[i] = descriptor{file: int32(i + 1)}
	}
	console.SetChanged(consoleChanged)
}

// fileOf returns the open file of descriptor fd and its index, or nil.
func fileOf(fd int) (*file, int) {
	if fd < 0 || fd >= MaxFiles || fds[fd].file == 0 {
		return nil, -1
	}
	i := int(fds[fd].file - 1)
	return &files[i], i
}

// MaxIov is the most buffers readv(2) and writev(2) take (UIO_MAXIOV).
const MaxIov = 1024

// Iovec returns the base and length of struct iovec i of the array at iov.
func Iovec(iov uintptr, i int) (base, n uintptr) {
	p := iov + uintptr(i)*16
	return uintptr(*arch.U64(p)), uintptr(*arch.U64(p + 8))
}

func get(fd int) *file {
	f, _ := fileOf(fd)
	return f
}

// open makes a new open file and a descriptor for it, at the lowest free number.
func open(kind uint8, obj int32, flags int) int64 {
	fd := lowestFree(0)
	if fd < 0 {
		return -errno.EMFILE
	}
	for i := range files {
		if files[i].refs == 0 {
			files[i] = file{kind: kind, obj: obj, flags: flags &^ oCLOEXEC, refs: 1, pollable: true}
			fds[fd] = descriptor{file: int32(i + 1), cloexec: flags&oCLOEXEC != 0}
			return int64(fd)
		}
	}
	return -errno.EMFILE
}

func lowestFree(from int) int {
	for i := from; i < MaxFiles; i++ {
		if fds[i].file == 0 {
			return i
		}
	}
	return -1
}

// blockOnFile parks the current thread until file i's readiness changes; its system call then
// runs again.
func blockOnFile(i int) { sched.Block(sched.WaitFile, uintptr(i), 0) }

// changed records that file i's readiness may have changed and wakes the threads polling it.
func changed(i int) {
	files[i].gen++
	sched.WakePollers()
	sched.WakeFile(uintptr(i))
}

// Read implements read(2).
func Read(fd int, buf, n uintptr) int64 {
	f, i := fileOf(fd)
	if f == nil {
		return -errno.EBADF
	}
	switch f.kind {
	case kindConsole:
		return consoleRead(f, i, buf, n)
	case kindEventfd:
		return eventfdRead(f, i, buf, n)
	case kindPipe:
		return pipeRead(f, i, buf, n)
	}
	return -errno.EINVAL
}

// Write implements write(2).
func Write(fd int, buf, n uintptr) int64 {
	f, i := fileOf(fd)
	if f == nil {
		return -errno.EBADF
	}
	switch f.kind {
	case kindConsole:
		return consoleWrite(buf, n, true)
	case kindEventfd:
		return eventfdWrite(f, i, buf, n)
	case kindPipe:
		return pipeWrite(f, i, buf, n)
	}
	return -errno.EINVAL
}

// Writev implements writev(2) for the console and eventfds. Only the first buffer may wait: once
// some bytes are written the call returns what it wrote rather than wait (it would run again
// from the start).
func Writev(fd int, iov uintptr, cnt int) int64 {
	if cnt < 0 || cnt > MaxIov {
		return -errno.EINVAL
	}
	var total int64
	for i := 0; i < cnt; i++ {
		base, l := Iovec(iov, i)
		if l == 0 {
			continue
		}
		var r int64
		if f := get(fd); f != nil && f.kind == kindConsole {
			r = consoleWrite(base, l, total == 0)
			if r == 0 && total > 0 {
				return total // the console is full
			}
		} else {
			r = Write(fd, base, l)
		}
		if sched.CurrentThread().State != sched.Running {
			return 0 // the first buffer waits; the call runs again
		}
		if r < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
	}
	return total
}

// Close implements close(2). The open file goes when its last descriptor does; for a served
// file the server is told to release its object.
func Close(fd int) int64 {
	f, i := fileOf(fd)
	if f == nil {
		return -errno.EBADF
	}
	fds[fd] = descriptor{}
	// Drop the descriptor from every epoll interest list.
	for k := range epolls {
		if epolls[k].used {
			epolls[k].remove(int32(fd))
		}
	}
	f.refs--
	if f.refs > 0 {
		return 0
	}
	switch f.kind {
	case kindEventfd:
		eventfds[f.obj].used = false
	case kindEpoll:
		epolls[f.obj].used = false
	case kindServed:
		releaseServed(f.obj)
	case kindPipe:
		pipeClosed(f)
	}
	files[i] = file{}
	return 0
}

// Dup implements dup(2) and fcntl F_DUPFD/F_DUPFD_CLOEXEC: a new descriptor, at least from,
// for the same open file.
func Dup(fd, from int, cloexec bool) int64 {
	if from < 0 || from >= MaxFiles {
		return -errno.EINVAL
	}
	f := get(fd)
	if f == nil {
		return -errno.EBADF
	}
	n := lowestFree(from)
	if n < 0 {
		return -errno.EMFILE
	}
	fds[n] = descriptor{file: fds[fd].file, cloexec: cloexec}
	f.refs++
	return int64(n)
}

// Dup3 implements dup3(2) (and dup2(2) with flags 0, where oldfd == newfd is allowed).
func Dup3(oldfd, newfd, flags int, dup2 bool) int64 {
	if flags&^oCLOEXEC != 0 {
		return -errno.EINVAL
	}
	f := get(oldfd)
	if f == nil || newfd < 0 || newfd >= MaxFiles {
		return -errno.EBADF
	}
	if oldfd == newfd {
		if dup2 {
			return int64(newfd)
		}
		return -errno.EINVAL
	}
	if fds[newfd].file != 0 {
		Close(newfd)
	}
	fds[newfd] = descriptor{file: fds[oldfd].file, cloexec: flags&oCLOEXEC != 0}
	f.refs++
	return int64(newfd)
}

// Fcntl implements fcntl(2) for the commands the Go runtime and os use.
func Fcntl(fd, cmd int, arg uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -errno.EBADF
	}
	switch cmd {
	case 0, 1030: // F_DUPFD, F_DUPFD_CLOEXEC
		return Dup(fd, int(arg), cmd == 1030)
	case 1: // F_GETFD
		if fds[fd].cloexec {
			return 1
		}
		return 0
	case 2: // F_SETFD
		fds[fd].cloexec = arg&1 != 0
		return 0
	case 3: // F_GETFL
		return int64(f.flags)
	case 4: // F_SETFL: O_APPEND and O_NONBLOCK can change
		f.flags = f.flags&^(oNONBLOCK|oAPPEND) | int(arg)&(oNONBLOCK|oAPPEND)
		return 0
	}
	return -errno.EINVAL
}

// Ioctl implements ioctl(2): FIONBIO sets non-blocking mode; the console is not a terminal.
func Ioctl(fd int, req, arg uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -errno.EBADF
	}
	if req == 0x5421 { // FIONBIO
		if *arch.U32(arg) != 0 {
			f.flags |= oNONBLOCK
		} else {
			f.flags &^= oNONBLOCK
		}
		return 0
	}
	return -errno.ENOTTY
}

// Fstat implements fstat(2) for the kernel's own files: the console is a character device, a
// pipe a FIFO; the others are anonymous inodes.
func Fstat(fd int, st uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -errno.EBADF
	}
	clear(arch.Bytes(st, 144)) // struct stat (x86-64)
	mode := uint32(0o600)
	if f.kind == kindConsole {
		mode |= 0o020000              // S_IFCHR
		*arch.U64(st + 40) = 5<<8 | 1 // st_rdev: /dev/console
	}
	if f.kind == kindPipe {
		mode |= sIFIFO
	}
	*arch.U64(st + 16) = 1         // st_nlink
	*arch.U32(st + 24) = mode      // st_mode
	*arch.U64(st + 56) = 4096      // st_blksize
	*arch.U64(st + 8) = uint64(fd) // st_ino
	return 0
}
