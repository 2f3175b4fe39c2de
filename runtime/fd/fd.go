// Package fd implements the program's file descriptors: the console on descriptors 0, 1 and 2,
// eventfd(2) counters and epoll(7) instances. The Go runtime needs the last two even in a program
// without networking: its first timer starts the netpoller, which waits in epoll_pwait and is
// woken through an eventfd.
//
// Reference: Linux eventfd(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2), fcntl(2);
// include/uapi/linux/eventpoll.h (struct epoll_event is packed on x86-64: 12 bytes).
package fd

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/sched"
)

// MaxFiles bounds the descriptor table (reported as RLIMIT_NOFILE).
const MaxFiles = 256

// File kinds.
const (
	kindNone = iota
	kindConsole
	kindEventfd
	kindEpoll
)

// Flags (include/uapi/asm-generic/fcntl.h).
const (
	oRDWR     = 02
	oNONBLOCK = 04000
	oCLOEXEC  = 02000000
)

// errno values.
const (
	eBADF  = 9
	eAGAIN = 11
	eINVAL = 22
	eMFILE = 24
	eNOENT = 2
	eEXIST = 17
	eNOMEM = 12
	eNOTTY = 25
	eSPIPE = 29
	eNOSYS = 38
	ePERM  = 1
)

type file struct {
	kind    uint8
	cloexec bool
	flags   int   // status flags: O_NONBLOCK
	obj     int32 // index into the kind's table
	gen     uint32
}

var files [MaxFiles]file

// Init opens the console on descriptors 0, 1 and 2.
func Init() {
	for i := 0; i < 3; i++ {
		files[i] = file{kind: kindConsole, flags: oRDWR}
	}
}

func get(fd int) *file {
	if fd < 0 || fd >= MaxFiles || files[fd].kind == kindNone {
		return nil
	}
	return &files[fd]
}

func alloc(kind uint8, obj int32, flags int) int64 {
	for i := range files {
		if files[i].kind == kindNone {
			files[i] = file{kind: kind, obj: obj, flags: flags & oNONBLOCK, cloexec: flags&oCLOEXEC != 0}
			return int64(i)
		}
	}
	return -eMFILE
}

// changed records that fd's readiness may have changed and wakes the threads polling.
func changed(f *file) {
	f.gen++
	sched.WakePollers()
}

// Read implements read(2).
func Read(fd int, buf, n uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	switch f.kind {
	case kindConsole:
		return 0 // end of input
	case kindEventfd:
		return eventfdRead(f, buf, n)
	}
	return -eINVAL
}

// Write implements write(2).
func Write(fd int, buf, n uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	switch f.kind {
	case kindConsole:
		klog.Write(arch.Bytes(buf, n))
		return int64(n)
	case kindEventfd:
		return eventfdWrite(f, buf, n)
	}
	return -eINVAL
}

// Writev implements writev(2) for the console and eventfds.
func Writev(fd int, iov uintptr, cnt int) int64 {
	if cnt < 0 || cnt > 1024 {
		return -eINVAL
	}
	var total int64
	for i := 0; i < cnt; i++ {
		base := uintptr(*arch.U64(iov + uintptr(i)*16))
		l := uintptr(*arch.U64(iov + uintptr(i)*16 + 8))
		if l == 0 {
			continue
		}
		r := Write(fd, base, l)
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

// Close implements close(2).
func Close(fd int) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	switch f.kind {
	case kindEventfd:
		eventfds[f.obj].used = false
	case kindEpoll:
		epolls[f.obj].used = false
	}
	// Drop the descriptor from every epoll interest list, as the last close does on Linux.
	for i := range epolls {
		if epolls[i].used {
			epolls[i].remove(int32(fd))
		}
	}
	*f = file{}
	return 0
}

// Fcntl implements fcntl(2) for the commands the Go runtime and os use.
func Fcntl(fd, cmd int, arg uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	switch cmd {
	case 0, 1030: // F_DUPFD, F_DUPFD_CLOEXEC
		for i := int(arg); i >= 0 && i < MaxFiles; i++ {
			if files[i].kind == kindNone {
				files[i] = *f
				files[i].cloexec = cmd == 1030
				return int64(i)
			}
		}
		return -eMFILE
	case 1: // F_GETFD
		if f.cloexec {
			return 1
		}
		return 0
	case 2: // F_SETFD
		f.cloexec = arg&1 != 0
		return 0
	case 3: // F_GETFL
		return int64(f.flags | oRDWR)
	case 4: // F_SETFL
		f.flags = int(arg) & oNONBLOCK
		return 0
	}
	return -eINVAL
}

// Ioctl implements ioctl(2): FIONBIO sets non-blocking mode; the console is not a terminal.
func Ioctl(fd int, req, arg uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	if req == 0x5421 { // FIONBIO
		if *arch.U32(arg) != 0 {
			f.flags |= oNONBLOCK
		} else {
			f.flags &^= oNONBLOCK
		}
		return 0
	}
	return -eNOTTY
}

// Fstat implements fstat(2): the console is a character device; others are anonymous inodes.
func Fstat(fd int, st uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -eBADF
	}
	clear(arch.Bytes(st, 144)) // struct stat (x86-64)
	mode := uint32(0o600)
	if f.kind == kindConsole {
		mode |= 0o020000              // S_IFCHR
		*arch.U64(st + 40) = 5<<8 | 1 // st_rdev: /dev/console
	}
	*arch.U64(st + 16) = 1         // st_nlink
	*arch.U32(st + 24) = mode      // st_mode
	*arch.U64(st + 56) = 4096      // st_blksize
	*arch.U64(st + 8) = uint64(fd) // st_ino
	return 0
}
