package fd

import (
	"testing"

	"github.com/unikgen/unikgen/runtime/console"
	"github.com/unikgen/unikgen/runtime/console/wire"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sched/schedtest"
)

// consoleThread sets up the console descriptors with an input device and one running thread.
func consoleThread(t *testing.T) int {
	Init()
	console.SetInput(nil)
	sched.UseFrames(schedtest.Frames(4))
	var regs sched.Regs
	th := sched.New(&regs, 0, -1)
	sched.Start(th)
	return th
}

// TestConsoleInput reads standard input as the kernel serves it: EAGAIN or a wait while nothing
// has arrived, epoll reporting descriptor 0 readable once input arrives, and end of file after
// the end mark.
func TestConsoleInput(t *testing.T) {
	th := consoleThread(t)
	var buf [64]byte

	Fcntl(0, 4, oNONBLOCK) // F_SETFL
	if r := Read(0, addr(&buf), 64); r != -errno.EAGAIN {
		t.Fatalf("non-blocking read with no input: %d, want EAGAIN", r)
	}
	Fcntl(0, 4, 0)
	epfd := int(EpollCreate1(0))
	ev := [12]byte{0: epollIN}
	ev[4] = 7
	if r := EpollCtl(epfd, epollCtlAdd, 0, addr(&ev)); r != 0 {
		t.Fatal("epoll_ctl:", r)
	}
	var out [epollEventSize]byte
	if n := EpollPwait(epfd, addr(&out), 1, 0); n != 0 {
		t.Fatalf("epoll reports %d events before any input", n)
	}

	// A blocking read waits; input wakes it to run again.
	Read(0, addr(&buf), 64)
	if sched.T(th).State != sched.Blocked {
		t.Fatal("blocking read with no input did not wait")
	}
	console.Feed([]byte(wire.Preamble + "hi\n"))
	if tt := sched.T(th); tt.State != sched.Runnable || !tt.Restart {
		t.Fatalf("input did not wake the reader: state %d restart %v", tt.State, tt.Restart)
	}
	sched.Start(th) // it runs again
	if n := EpollPwait(epfd, addr(&out), 1, 0); n != 1 || out[0]&epollIN == 0 || out[4] != 7 {
		t.Fatalf("after input: %d events %v, want descriptor 0 readable", n, out)
	}
	if r := Read(0, addr(&buf), 64); r != 3 || string(buf[:3]) != "hi\n" {
		t.Fatalf("read %d %q, want 3 \"hi\\n\"", r, buf[:max(r, 0)])
	}
	console.Feed([]byte(wire.End))
	for i := 0; i < 2; i++ {
		if r := Read(0, addr(&buf), 64); r != 0 {
			t.Fatalf("read after the end mark: %d, want 0 (end of file)", r)
		}
	}
	if n := EpollPwait(epfd, addr(&out), 1, 0); n != 1 || out[0]&epollIN == 0 {
		t.Fatalf("at end of file: %d events %v, want descriptor 0 readable", n, out)
	}
	Close(epfd)
}

// TestConsoleOutputWait writes to a full output device: the writer waits (not interruptibly), the
// device's report of room runs the write again, and writev stops at the first buffer that does
// not fit rather than wait after writing some.
func TestConsoleOutputWait(t *testing.T) {
	th := consoleThread(t)
	room := 0
	var got []byte
	console.SetOutput(func(b []byte) int {
		if len(b) > room {
			return 0
		}
		room -= len(b)
		got = append(got, b...)
		return len(b)
	}, func() bool { return room == 0 })
	t.Cleanup(func() { console.SetOutput(nil, nil) })

	msg := []byte("hello\n")
	Write(1, addr(&msg[0]), uintptr(len(msg)))
	tt := sched.T(th)
	if tt.State != sched.Blocked || tt.Wait != sched.WaitConsole {
		t.Fatalf("write to a full device: state %d wait %d, want blocked on the console", tt.State, tt.Wait)
	}
	sched.Interrupt(th)
	if tt.State != sched.Blocked {
		t.Fatal("a signal interrupted the console write")
	}
	room = 100
	console.Changed()
	if tt.State != sched.Runnable || !tt.Restart {
		t.Fatalf("room did not wake the writer: state %d restart %v", tt.State, tt.Restart)
	}
	sched.Start(th) // it runs again
	if r := Write(1, addr(&msg[0]), uintptr(len(msg))); r != int64(len(msg)) || string(got) != "hello\n" {
		t.Fatalf("write %d, device got %q", r, got)
	}

	// writev of three buffers with room for two: it returns what it wrote.
	room = 12
	a, b, c := []byte("one\n"), []byte("two\n"), []byte("three\n")
	iov := [3][2]uint64{{uint64(addr(&a[0])), 4}, {uint64(addr(&b[0])), 4}, {uint64(addr(&c[0])), 6}}
	if r := Writev(2, addr(&iov), 3); r != 8 || tt.State != sched.Running {
		t.Fatalf("writev: %d, state %d; want 8 and no wait", r, tt.State)
	}
	if string(got) != "hello\none\ntwo\n" {
		t.Fatalf("device got %q", got)
	}
}
