package fd

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
)

const efdSemaphore = 1

type eventfd struct {
	used      bool
	semaphore bool
	count     uint64
}

var eventfds [64]eventfd

// Eventfd2 implements eventfd2(2).
func Eventfd2(initval uint, flags int) int64 {
	if flags&^(oNONBLOCK|oCLOEXEC|efdSemaphore) != 0 {
		return -errno.EINVAL
	}
	for i := range eventfds {
		if !eventfds[i].used {
			eventfds[i] = eventfd{used: true, count: uint64(initval), semaphore: flags&efdSemaphore != 0}
			r := open(kindEventfd, int32(i), flags|oRDWR)
			if r < 0 {
				eventfds[i].used = false
			}
			return r
		}
	}
	return -errno.EMFILE
}

func eventfdRead(f *file, fi int, buf, n uintptr) int64 {
	if n < 8 {
		return -errno.EINVAL
	}
	e := &eventfds[f.obj]
	if e.count == 0 {
		if f.flags&oNONBLOCK != 0 {
			return -errno.EAGAIN
		}
		sched.Block(sched.WaitFile, uintptr(fi), 0)
		return 0
	}
	v := e.count
	if e.semaphore {
		v = 1
	}
	e.count -= v
	*arch.U64(buf) = v
	changed(fi)
	return 8
}

func eventfdWrite(f *file, fi int, buf, n uintptr) int64 {
	if n < 8 {
		return -errno.EINVAL
	}
	v := *arch.U64(buf)
	if v == ^uint64(0) {
		return -errno.EINVAL
	}
	e := &eventfds[f.obj]
	if e.count+v < e.count || e.count+v == ^uint64(0) {
		if f.flags&oNONBLOCK != 0 {
			return -errno.EAGAIN
		}
		sched.Block(sched.WaitFile, uintptr(fi), 0)
		return 0
	}
	e.count += v
	changed(fi)
	return 8
}

func eventfdReady(f *file) uint32 {
	e := &eventfds[f.obj]
	r := uint32(0)
	if e.count > 0 {
		r |= epollIN
	}
	if e.count < ^uint64(0)-1 {
		r |= epollOUT
	}
	return r
}
