package fd

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sched/schedtest"
)

func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

func TestEventfdEpoll(t *testing.T) {
	Init()
	sched.UseFrames(schedtest.Frames(4))
	var regs sched.Regs
	th := sched.New(&regs, 0, -1)
	sched.Start(th)

	efd := int(Eventfd2(0, oNONBLOCK))
	epfd := int(EpollCreate1(oCLOEXEC))
	if efd < 3 || epfd < 3 {
		t.Fatalf("descriptors %d %d", efd, epfd)
	}
	ev := [12]byte{0: epollIN}
	ev[4] = 0xAB
	if r := EpollCtl(epfd, epollCtlAdd, efd, addr(&ev)); r != 0 {
		t.Fatal("epoll_ctl:", r)
	}
	if r := EpollCtl(epfd, epollCtlAdd, efd, addr(&ev)); r != -errno.EEXIST {
		t.Fatal("double add:", r)
	}
	var out [4 * epollEventSize]byte
	if n := EpollPwait(epfd, addr(&out), 4, 0); n != 0 {
		t.Fatalf("nothing written yet, got %d events", n)
	}
	var v uint64
	if r := Read(efd, addr(&v), 8); r != -errno.EAGAIN {
		t.Fatalf("empty nonblocking eventfd read: %d", r)
	}
	one := uint64(1)
	Write(efd, addr(&one), 8)
	Write(efd, addr(&one), 8)
	if n := EpollPwait(epfd, addr(&out), 4, 0); n != 1 || out[0] != epollIN || out[4] != 0xAB {
		t.Fatalf("after write: %d events, %v", n, out[:12])
	}
	if r := Read(efd, addr(&v), 8); r != 8 || v != 2 {
		t.Fatalf("read %d, value %d; want 8, 2", r, v)
	}
	if n := EpollPwait(epfd, addr(&out), 4, 0); n != 0 {
		t.Fatalf("drained eventfd still ready")
	}

	// A blocking wait parks the thread; a write wakes it to re-run the call.
	EpollPwait(epfd, addr(&out), 4, -1)
	if sched.T(th).State != sched.Blocked {
		t.Fatal("epoll_pwait with nothing ready did not block")
	}
	Write(efd, addr(&one), 8)
	if tt := sched.T(th); tt.State != sched.Runnable || !tt.Restart {
		t.Fatalf("write did not wake the poller: state %d restart %v", tt.State, tt.Restart)
	}

	if r := Close(efd); r != 0 {
		t.Fatal(r)
	}
	if r := Close(efd); r != -errno.EBADF {
		t.Fatal("double close:", r)
	}
	if epolls[files[epfd].obj].n != 0 {
		t.Fatal("closed descriptor still in the interest list")
	}
	if r := Fcntl(1, 1, 0); r != 0 {
		t.Fatalf("F_GETFD on stdout: %d", r)
	}
	if r := Fcntl(77, 1, 0); r != -errno.EBADF {
		t.Fatalf("F_GETFD on a closed descriptor: %d", r)
	}
}
