package fd

// This file implements pipes (pipe(2), pipe2(2), pipe(7)): a byte ring of kernel frames between
// a read end and a write end, each an open file of its own. The testing package captures an
// example's output through one (os.Pipe), and os/exec-free programs use them between goroutines.
//
// As on Linux: the read end is O_RDONLY and the write end O_WRONLY; a read of an empty pipe waits
// (or EAGAIN) while a writer exists and returns end of file after the last writer closed; a write
// with no reader fails with EPIPE; writes of up to PIPE_BUF bytes are atomic, longer ones may be
// split. Unlike Linux, the kernel sends no SIGPIPE with EPIPE (Go's runtime ignores the signal
// for descriptors other than 1 and 2, and those are the console here), and a blocking write
// returns after the part that fitted rather than waiting for the rest (Go's os and internal/poll
// write again until all is written).

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/mm"
)

const (
	pipeFrames = 16                       // Linux's default capacity: 16 pages
	pipeSize   = pipeFrames * mm.PageSize // bytes a pipe holds
	pipeAtomic = 4096                     // PIPE_BUF (include/uapi/linux/limits.h)
	maxPipes   = 64                       // pipes open at once
	oDIRECT    = 040000                   // pipe2's packet mode: not supported
	sIFIFO     = 0o010000                 // st_mode of a pipe
	pipeFlags  = oNONBLOCK | oCLOEXEC     // what pipe2 accepts
	oWRONLY    = 01                       // the write end's access mode
)

type pipe struct {
	used       bool
	head, tail uint32 // bytes written and read since the pipe was made (free-running)
	readFile   int32  // the read end's index in files plus one; 0 once it is closed
	writeFile  int32  // the write end's, likewise
	frames     [pipeFrames]uintptr
}

var pipes [maxPipes]pipe

// Pipe2 implements pipe2(2) (and pipe(2) with flags 0): it makes a pipe and stores its read and
// write descriptors in the two ints at out.
func Pipe2(out uintptr, flags int) int64 {
	if flags&oDIRECT != 0 || flags&^pipeFlags != 0 {
		return -errno.EINVAL
	}
	k := -1
	for i := range pipes {
		if !pipes[i].used {
			k = i
			break
		}
	}
	if k < 0 {
		return -errno.ENFILE
	}
	p := &pipes[k]
	*p = pipe{used: true}
	for i := range p.frames {
		pa, ok := mm.AllocFrame()
		if !ok {
			p.free()
			return -errno.ENFILE
		}
		p.frames[i] = pa
	}
	rfd := open(kindPipe, int32(k), flags) // O_RDONLY
	if rfd < 0 {
		p.free()
		return rfd
	}
	wfd := open(kindPipe, int32(k), flags|oWRONLY)
	if wfd < 0 {
		Close(int(rfd)) // frees the pipe: its write end never existed
		return wfd
	}
	p.readFile = fds[rfd].file
	p.writeFile = fds[wfd].file
	*arch.U32(out) = uint32(rfd)
	*arch.U32(out + 4) = uint32(wfd)
	return 0
}

// free gives the pipe's frames back and the slot with them.
func (p *pipe) free() {
	for _, pa := range p.frames {
		if pa != 0 {
			mm.FreeFrame(pa)
		}
	}
	*p = pipe{}
}

// isWriteEnd reports whether open file f is a pipe's write end.
func isWriteEnd(f *file) bool { return f.flags&oACCMODE == oWRONLY }

func pipeRead(f *file, fi int, buf, n uintptr) int64 {
	if isWriteEnd(f) {
		return -errno.EBADF
	}
	p := &pipes[f.obj]
	if n == 0 {
		return 0
	}
	avail := uintptr(p.head - p.tail)
	if avail == 0 {
		if p.writeFile == 0 {
			return 0 // end of file: no writer is left
		}
		return wouldWait(f, fi, false)
	}
	n = min(n, avail)
	copyPaged(p.frames[:], p.tail, buf, n, false)
	p.tail += uint32(n)
	if p.writeFile != 0 {
		changed(int(p.writeFile - 1)) // room for the writer
	}
	return int64(n)
}

func pipeWrite(f *file, fi int, buf, n uintptr) int64 {
	if !isWriteEnd(f) {
		return -errno.EBADF
	}
	p := &pipes[f.obj]
	if p.readFile == 0 {
		return -errno.EPIPE
	}
	if n == 0 {
		return 0
	}
	room := uintptr(pipeSize - (p.head - p.tail))
	if room == 0 || n <= pipeAtomic && room < n {
		return wouldWait(f, fi, false)
	}
	n = min(n, room)
	copyPaged(p.frames[:], p.head, buf, n, true)
	p.head += uint32(n)
	changed(int(p.readFile - 1))
	return int64(n)
}

// pipeReady returns the epoll readiness of a pipe end, as Linux's pipe_poll: the read end is
// readable with bytes and hung up without writers; the write end is writable with room and in
// error without readers.
func pipeReady(f *file) uint32 {
	p := &pipes[f.obj]
	var r uint32
	if isWriteEnd(f) {
		if p.head-p.tail < pipeSize {
			r |= epollOUT
		}
		if p.readFile == 0 {
			r |= epollERR
		}
		return r
	}
	if p.head != p.tail {
		r |= epollIN
	}
	if p.writeFile == 0 {
		r |= epollHUP
	}
	return r
}

// pipeClosed records that the last descriptor of pipe end f went: the other end sees end of file
// or EPIPE, and the pipe goes with its second end.
func pipeClosed(f *file) {
	p := &pipes[f.obj]
	if isWriteEnd(f) {
		p.writeFile = 0
		if p.readFile != 0 {
			changed(int(p.readFile - 1))
		}
	} else {
		p.readFile = 0
		if p.writeFile != 0 {
			changed(int(p.writeFile - 1))
		}
	}
	if p.readFile == 0 && p.writeFile == 0 {
		p.free()
	}
}
