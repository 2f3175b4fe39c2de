package sched

import "testing"

func reset() {
	threads = [MaxThreads]Thread{}
	runHead, runLen, cur = 0, 0, 0
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
	cur = b
	threads[b].State = Running
	Block(WaitFutex, 0x1000, 0)
	if got := FutexWake(0x2000, 1); got != 0 {
		t.Fatalf("woke %d threads on another address", got)
	}
	if got := FutexWake(0x1000, 1); got != 1 {
		t.Fatalf("FutexWake(n=1) woke %d", got)
	}
	if threads[a].State != Runnable || threads[a].Regs.RAX != 0 || threads[b].State != Blocked {
		t.Fatalf("states after one wake: a=%d (rax %d) b=%d", threads[a].State, threads[a].Regs.RAX, threads[b].State)
	}
	if got := FutexWake(0x1000, 10); got != 1 || threads[b].State != Runnable {
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
		cur = c.i
		threads[c.i].State = Running
		Block(c.wait, 0x10, c.deadline)
	}
	runLen = 0
	if got := NextDeadline(); got != 100 {
		t.Fatalf("next deadline %d, want 100", got)
	}
	Expire(150)
	if threads[waiter].State != Runnable || int64(threads[waiter].Regs.RAX) != -eTIMEDOUT {
		t.Fatalf("futex timeout: state %d rax %d", threads[waiter].State, int64(threads[waiter].Regs.RAX))
	}
	if threads[poller].State != Blocked || threads[sleeper].State != Blocked {
		t.Fatal("threads woken before their deadline")
	}
	Expire(250)
	if threads[poller].State != Runnable || !threads[poller].Restart {
		t.Fatal("an expired poll must re-execute its system call")
	}
	Expire(300)
	if threads[sleeper].State != Runnable || threads[sleeper].Regs.RAX != 0 {
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
	if int64(threads[a].Regs.RAX) != -eINTR || threads[a].State != Runnable {
		t.Fatal("a signal must end a wait with EINTR")
	}
	// b is running with a runnable thread waiting: the tick preempts it only after its slice.
	removeRunnable(b)
	cur, threads[b].State, sliceEnd = b, Running, 1000
	Tick(999)
	if threads[b].State != Running {
		t.Fatal("preempted before the end of the timeslice")
	}
	Tick(1000)
	if threads[b].State != Runnable {
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
		t.Fatal("a 65th thread was created")
	}
	if Find(5) != 4 || Find(0) != -1 || Find(MaxThreads+1) != -1 {
		t.Fatal("Find by thread id")
	}
	cur = 3
	Exit()
	if Find(4) != -1 || Live() != MaxThreads-1 {
		t.Fatal("an exited thread is still found")
	}
}
