package sched

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/sched/schedtest"
)

var hostFrames = schedtest.Frames(MaxThreads / slotsPerFrame)

// reset empties the thread table, keeping the slots' frames.
func reset() {
	UseFrames(hostFrames)
	for i := 0; i < nslots; i++ {
		*T(i) = Thread{}
	}
	nslots, live, firstFree = 0, 0, 0
	runHead, runTail, runLen, cur = 0, 0, 0, 0
}

// run makes thread i the running thread.
func run(i int) {
	removeRunnable(i)
	cur = i
	T(i).State = Running
}

func newThread(t *testing.T) int {
	t.Helper()
	var r Regs
	i := New(&r, 0, -1)
	if i < 0 {
		t.Fatal("no thread slot")
	}
	return i
}

func TestFutexWaitWake(t *testing.T) {
	reset()
	a, b, c := newThread(t), newThread(t), newThread(t)
	Start(a)
	Block(WaitFutex, 0x1000, 0)
	run(b)
	Block(WaitFutex, 0x1000, 0)
	if got := FutexWake(0x2000, 1); got != 0 {
		t.Fatalf("woke %d threads on another address", got)
	}
	if got := FutexWake(0x1000, 1); got != 1 {
		t.Fatalf("FutexWake(n=1) woke %d", got)
	}
	if T(a).State != Runnable || T(a).Regs.RAX != 0 || T(b).State != Blocked {
		t.Fatalf("states after one wake: a=%d (rax %d) b=%d", T(a).State, T(a).Regs.RAX, T(b).State)
	}
	if got := FutexWake(0x1000, 10); got != 1 || T(b).State != Runnable {
		t.Fatalf("second wake: %d", got)
	}
	_ = c
}

func TestDeadlines(t *testing.T) {
	reset()
	sleeper, waiter, poller := newThread(t), newThread(t), newThread(t)
	for _, c := range []struct {
		i        int
		wait     uint8
		deadline int64
	}{{sleeper, WaitSleep, 300}, {waiter, WaitFutex, 100}, {poller, WaitPoll, 200}} {
		run(c.i)
		Block(c.wait, 0x10, c.deadline)
	}
	if got := NextDeadline(); got != 100 {
		t.Fatalf("next deadline %d, want 100", got)
	}
	Expire(150)
	if T(waiter).State != Runnable || int64(T(waiter).Regs.RAX) != -errno.ETIMEDOUT {
		t.Fatalf("futex timeout: state %d rax %d", T(waiter).State, int64(T(waiter).Regs.RAX))
	}
	if T(poller).State != Blocked || T(sleeper).State != Blocked {
		t.Fatal("threads woken before their deadline")
	}
	Expire(250)
	if T(poller).State != Runnable || !T(poller).Restart {
		t.Fatal("an expired poll must re-execute its system call")
	}
	Expire(300)
	if T(sleeper).State != Runnable || T(sleeper).Regs.RAX != 0 {
		t.Fatal("sleep did not end with 0")
	}
	if NextDeadline() != 0 {
		t.Fatal("deadline left after every wait ended")
	}
}

func TestInterruptAndTimeslice(t *testing.T) {
	reset()
	a, b := newThread(t), newThread(t)
	Start(a)
	Block(WaitFutex, 0x10, 0)
	Interrupt(a)
	if int64(T(a).Regs.RAX) != -errno.EINTR || T(a).State != Runnable {
		t.Fatal("a signal must end a wait with EINTR")
	}
	// b is running with a runnable thread waiting: the tick preempts it only after its slice.
	run(b)
	sliceEnd = 1000
	Tick(999)
	if T(b).State != Running {
		t.Fatal("preempted before the end of the timeslice")
	}
	Tick(1000)
	if T(b).State != Runnable {
		t.Fatal("not preempted at the end of the timeslice")
	}
}

func TestThreadTable(t *testing.T) {
	reset()
	for i := 0; i < MaxThreads; i++ {
		newThread(t)
	}
	var r Regs
	if New(&r, 0, -1) != -1 {
		t.Fatalf("thread %d was created", MaxThreads+1)
	}
	if Find(5) != 4 || Find(0) != -1 || Find(MaxThreads+1) != -1 {
		t.Fatal("Find by thread id")
	}
	cur = 3
	Exit()
	if Find(4) != -1 || Live() != MaxThreads-1 {
		t.Fatal("an exited thread is still found")
	}
	if i := New(&r, 0, -1); i != 3 || Find(4) != 3 {
		t.Fatalf("the free slot was not reused: thread %d", i)
	}
}

// TestThreadsBoundByMemory: threads take frames as they are created; when memory runs out, New
// fails, and an exited thread's slot serves again.
func TestThreadsBoundByMemory(t *testing.T) {
	reset()
	saved := slotFrames // the slots of other tests keep their host frames
	slotFrames = [len(slotFrames)]uintptr{}
	defer func() { slotFrames = saved; reset() }()
	const frames = 3
	var pages [frames][4096]byte
	taken := 0
	UseFrames(func() (uintptr, bool) {
		if taken == frames {
			return 0, false
		}
		taken++
		return uintptr(unsafe.Pointer(&pages[taken-1])), true
	})
	var r Regs
	n := 0
	for New(&r, 0, -1) >= 0 {
		n++
	}
	if n != frames*slotsPerFrame {
		t.Fatalf("%d threads from %d frames, want %d", n, frames, frames*slotsPerFrame)
	}
	for i := 0; i < n; i++ {
		if FXArea(i)%16 != 0 || FXArea(i) < slot(i)+unsafe.Sizeof(Thread{}) || FXArea(i)+fxSize > slot(i)+slotSize {
			t.Fatalf("thread %d: FX area %#x misplaced in slot %#x", i, FXArea(i), slot(i))
		}
	}
	cur = 5
	Exit()
	if i := New(&r, 0, -1); i != 5 {
		t.Fatalf("after an exit New gave %d, want the freed slot 5", i)
	}
}

// next runs the first runnable thread, as Schedule does (without the timer, which the host
// lacks).
func next() int {
	i := int(runHead) - 1
	run(i)
	return i
}

// TestRunQueue: threads run in the order they became runnable; one taken out of the middle is
// skipped.
func TestRunQueue(t *testing.T) {
	reset()
	a, b, c, d := newThread(t), newThread(t), newThread(t), newThread(t)
	Start(a)
	removeRunnable(c)
	T(c).State = Blocked
	Block(WaitFutex, 0x10, 0) // a blocks
	var order []int
	for range 2 {
		order = append(order, next())
		Block(WaitFutex, 0x10, 0)
	}
	Wake(c, 0)
	Wake(a, 0)
	for range 2 {
		order = append(order, next())
		Block(WaitFutex, 0x10, 0)
	}
	if want := []int{b, d, c, a}; len(order) != 4 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] || order[3] != want[3] {
		t.Fatalf("ran %v, want %v", order, want)
	}
	if runLen != 0 || runHead != 0 || runTail != 0 {
		t.Fatalf("run queue not empty: len %d head %d tail %d", runLen, runHead, runTail)
	}
}

// TestRelayDeadline: a forwarded call with a deadline (exit_group's bounded wait for the volumes'
// sync, runtime/sys/exit.go) runs again at its deadline rather than returning 0 to the program.
func TestRelayDeadline(t *testing.T) {
	reset()
	i := newThread(t)
	run(i)
	Block(WaitRelay, 3, 0)
	T(i).Deadline = 500
	T(i).Regs.RAX = 231
	Interrupt(i)
	if T(i).State != Blocked {
		t.Fatal("a signal ended a forwarded call's wait")
	}
	Expire(400)
	if T(i).State != Blocked {
		t.Fatal("woken before the deadline")
	}
	Expire(500)
	if T(i).State != Runnable || !T(i).Restart || T(i).Regs.RAX != 231 {
		t.Fatalf("at the deadline: state %d restart %v rax %d, want the call run again", T(i).State, T(i).Restart, T(i).Regs.RAX)
	}
}
