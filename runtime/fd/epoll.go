package fd

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/sched"
)

// epoll event bits and control operations (include/uapi/linux/eventpoll.h).
const (
	epollIN    = 0x001
	epollOUT   = 0x004
	epollERR   = 0x008
	epollHUP   = 0x010
	epollRDHUP = 0x2000
	epollET    = 1 << 31
	epollOne   = 1 << 30

	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	epollEventSize = 12 // packed {u32 events; u64 data}
	maxInterest    = MaxFiles
)

type interest struct {
	fd     int32
	events uint32
	data   uint64
	gen    uint32 // readiness generation last reported (edge-triggered)
	fired  bool   // EPOLLONESHOT already reported
}

type epoll struct {
	used  bool
	n     int
	items [maxInterest]interest
}

var epolls [4]epoll

// EpollCreate1 implements epoll_create1(2).
func EpollCreate1(flags int) int64 {
	if flags&^oCLOEXEC != 0 {
		return -errno.EINVAL
	}
	for i := range epolls {
		if !epolls[i].used {
			epolls[i] = epoll{used: true}
			r := open(kindEpoll, int32(i), flags|oRDWR)
			if r < 0 {
				epolls[i].used = false
			}
			return r
		}
	}
	return -errno.EMFILE
}

func (e *epoll) find(fd int32) int {
	for i := 0; i < e.n; i++ {
		if e.items[i].fd == fd {
			return i
		}
	}
	return -1
}

func (e *epoll) remove(fd int32) bool {
	i := e.find(fd)
	if i < 0 {
		return false
	}
	e.n--
	e.items[i] = e.items[e.n]
	return true
}

// EpollCtl implements epoll_ctl(2).
func EpollCtl(epfd, op, fd int, ev uintptr) int64 {
	f := get(epfd)
	tf, ti := fileOf(fd)
	if f == nil || tf == nil {
		return -errno.EBADF
	}
	if f.kind != kindEpoll || fd == epfd {
		return -errno.EINVAL
	}
	if !tf.pollable {
		return -errno.EPERM // a regular file or a directory, as on Linux
	}
	e := &epolls[f.obj]
	var events uint32
	var data uint64
	if op != epollCtlDel {
		events = *arch.U32(ev)
		data = *arch.U64(ev + 4)
	}
	switch op {
	case epollCtlAdd:
		if e.find(int32(fd)) >= 0 {
			return -errno.EEXIST
		}
		if e.n == maxInterest {
			return -errno.ENOMEM
		}
		e.items[e.n] = interest{fd: int32(fd), events: events, data: data, gen: files[ti].gen - 1}
		e.n++
	case epollCtlMod:
		i := e.find(int32(fd))
		if i < 0 {
			return -errno.ENOENT
		}
		e.items[i] = interest{fd: int32(fd), events: events, data: data, gen: files[ti].gen - 1}
	case epollCtlDel:
		if !e.remove(int32(fd)) {
			return -errno.ENOENT
		}
	default:
		return -errno.EINVAL
	}
	sched.WakePollers()
	return 0
}

func ready(f *file) uint32 {
	switch f.kind {
	case kindConsole:
		return consoleReady()
	case kindEventfd:
		return eventfdReady(f)
	case kindServed:
		return servedReady(f)
	case kindPipe:
		return pipeReady(f)
	}
	return 0
}

// EpollPwait implements epoll_pwait(2) (the signal mask argument is ignored). A thread that finds
// nothing ready blocks until a file's readiness changes or the timeout ends, and then runs the
// call again.
func EpollPwait(epfd int, events uintptr, max, timeoutMs int) int64 {
	f := get(epfd)
	if f == nil {
		return -errno.EBADF
	}
	if f.kind != kindEpoll || max <= 0 {
		return -errno.EINVAL
	}
	e := &epolls[f.obj]
	n := 0
	for i := 0; i < e.n && n < max; i++ {
		it := &e.items[i]
		tf := get(int(it.fd))
		r := ready(tf) & (it.events | epollERR | epollHUP)
		if r == 0 || it.fired {
			continue
		}
		if it.events&epollET != 0 {
			if it.gen == tf.gen {
				continue
			}
			it.gen = tf.gen
		}
		if it.events&epollOne != 0 {
			it.fired = true
		}
		p := events + uintptr(n)*epollEventSize
		*arch.U32(p) = r
		*arch.U64(p + 4) = it.data
		n++
	}
	if n > 0 || timeoutMs == 0 {
		return int64(n)
	}
	t := sched.CurrentThread()
	deadline := t.Deadline
	if !t.Restart {
		deadline = 0
		if timeoutMs > 0 {
			deadline = ktime.Nanotime() + int64(timeoutMs)*1e6
		}
	} else if deadline != 0 && ktime.Nanotime() >= deadline {
		return 0
	}
	sched.Block(sched.WaitPoll, 0, deadline)
	return 0
}
