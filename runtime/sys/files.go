package sys

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/sched"
)

// Read implements read(2).
func Read(r *sched.Regs) int64 {
	if n, ok := fd.StreamRead(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), false, false); ok {
		return n
	}
	if wouldBlock(r, epollIN, 0) {
		return -errno.EAGAIN
	}
	if onServed(r) {
		return 0
	}
	return fd.Read(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX))
}

// Write implements write(2).
func Write(r *sched.Regs) int64 {
	if n, ok := fd.StreamWrite(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), false); ok {
		return n
	}
	if wouldBlock(r, epollOUT, 0) {
		return -errno.EAGAIN
	}
	if onServed(r) {
		return 0
	}
	return fd.Write(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX))
}

// Readv implements readv(2): the console and eventfds read as read(2) would into the first
// non-empty buffer.
func Readv(r *sched.Regs) int64 {
	if n, ok := streamIov(int(r.RDI), uintptr(r.RSI), int(r.RDX), false, false, false); ok {
		return n
	}
	if wouldBlock(r, epollIN, 0) {
		return -errno.EAGAIN
	}
	if onServed(r) {
		return 0
	}
	cnt := int(r.RDX)
	if cnt < 0 || cnt > fd.MaxIov {
		return -errno.EINVAL
	}
	for i := 0; i < cnt; i++ {
		if base, l := fd.Iovec(uintptr(r.RSI), i); l != 0 {
			return fd.Read(int(r.RDI), base, l)
		}
	}
	return fd.Read(int(r.RDI), 0, 0)
}

// Writev implements writev(2).
func Writev(r *sched.Regs) int64 {
	if n, ok := streamIov(int(r.RDI), uintptr(r.RSI), int(r.RDX), true, false, false); ok {
		return n
	}
	if wouldBlock(r, epollOUT, 0) {
		return -errno.EAGAIN
	}
	if onServed(r) {
		return 0
	}
	return fd.Writev(int(r.RDI), uintptr(r.RSI), int(r.RDX))
}

// Close implements close(2).
func Close(r *sched.Regs) int64 { return fd.Close(int(r.RDI)) }

// Fcntl implements fcntl(2).
func Fcntl(r *sched.Regs) int64 { return fd.Fcntl(int(r.RDI), int(r.RSI), uintptr(r.RDX)) }

// Ioctl implements ioctl(2). FIONBIO changes the descriptor's flags, which the kernel keeps;
// other requests on served files go to the server.
func Ioctl(r *sched.Regs) int64 {
	if r.RSI != 0x5421 && onServed(r) { // FIONBIO
		return 0
	}
	return fd.Ioctl(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX))
}

// Fstat implements fstat(2).
func Fstat(r *sched.Regs) int64 {
	if onServed(r) {
		return 0
	}
	return fd.Fstat(int(r.RDI), uintptr(r.RSI))
}

// Dup implements dup(2).
func Dup(r *sched.Regs) int64 { return fd.Dup(int(r.RDI), 0, false) }

// Dup2 implements dup2(2).
func Dup2(r *sched.Regs) int64 { return fd.Dup3(int(r.RDI), int(r.RSI), 0, true) }

// Dup3 implements dup3(2).
func Dup3(r *sched.Regs) int64 { return fd.Dup3(int(r.RDI), int(r.RSI), int(r.RDX), false) }

// Pread64 implements pread64(2): none of the kernel's own files is seekable.
func Pread64(r *sched.Regs) int64 {
	if onServed(r) {
		return 0
	}
	if fd.Fcntl(int(r.RDI), 1, 0) < 0 {
		return -errno.EBADF
	}
	return -errno.ESPIPE
}

// Pipe2 implements pipe2(2).
func Pipe2(r *sched.Regs) int64 { return fd.Pipe2(uintptr(r.RDI), int(r.RSI)) }

// Splice implements splice(2) by declining it: EINVAL (after EBADF for a closed descriptor), which
// Linux answers when the files do not support splicing. Go's internal/poll splices a TCP
// connection's io.Copy through a pipe (Splice, splice_linux.go) and takes EINVAL, and only EINVAL,
// as "not for these files", copying through user memory instead; ENOSYS would end the copy with
// an error. The library OS has no zero-copy path between its files to offer.
func Splice(r *sched.Regs) int64 {
	if fd.Fcntl(int(r.RDI), 1, 0) < 0 || fd.Fcntl(int(r.RDX), 1, 0) < 0 {
		return -errno.EBADF
	}
	return -errno.EINVAL
}

// Pipe implements pipe(2).
func Pipe(r *sched.Regs) int64 { return fd.Pipe2(uintptr(r.RDI), 0) }

// Eventfd2 implements eventfd2(2).
func Eventfd2(r *sched.Regs) int64 { return fd.Eventfd2(uint(r.RDI), int(r.RSI)) }

// EpollCreate1 implements epoll_create1(2).
func EpollCreate1(r *sched.Regs) int64 { return fd.EpollCreate1(int(r.RDI)) }

// EpollCtl implements epoll_ctl(2).
func EpollCtl(r *sched.Regs) int64 {
	return fd.EpollCtl(int(r.RDI), int(r.RSI), int(r.RDX), uintptr(r.R10))
}

// EpollPwait implements epoll_pwait(2) and epoll_wait(2).
func EpollPwait(r *sched.Regs) int64 {
	return fd.EpollPwait(int(r.RDI), uintptr(r.RSI), int(int32(r.RDX)), int(int32(r.R10)))
}
