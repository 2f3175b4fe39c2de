// Package sched keeps the threads that the Go runtime creates with clone(2) and shares the one
// CPU between them preemptively.
//
// The kernel runs to completion: it never sleeps on a kernel stack. A thread that must wait (in
// futex, nanosleep or epoll_pwait) is marked blocked with its saved user registers, and the kernel
// returns to some other thread. When the wait ends, the thread's syscall result is stored in its
// saved RAX, or the syscall is marked for re-execution (Restart), and the thread becomes runnable.
// The trap layer (runtime/trap) saves and restores the registers named by Current.
package sched

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/ktime"
)

// MaxThreads bounds the number of threads; the Go runtime uses a handful per program.
const MaxThreads = 64

// Regs is a thread's user register state, in the order the trap code pushes it (runtime/trap).
// The last five words form an IRETQ frame.
type Regs struct {
	R15, R14, R13, R12, R11, R10, R9, R8 uint64
	RBP, RDI, RSI, RDX, RCX, RBX, RAX    uint64
	Vector, Err                          uint64
	RIP, CS, RFLAGS, RSP, SS             uint64
}

// Thread states.
const (
	Free = iota
	Runnable
	Running
	Blocked
)

// Wait kinds of a blocked thread: they decide what a timeout or a signal does.
const (
	WaitNone  = iota
	WaitFutex // timeout: -ETIMEDOUT
	WaitSleep // timeout: 0
	WaitPoll  // timeout or readiness change: re-execute the syscall
	// WaitFile: a blocking call on a descriptor whose file is WaitAddr; a readiness change of that
	// file re-executes the syscall; a signal interrupts it.
	WaitFile
	// WaitRelay: a call forwarded to the program-context server (runtime/relay), request
	// WaitAddr. Not interruptible: signals wait until the completion, as they do for a short
	// uninterruptible wait on Linux.
	WaitRelay
	// WaitRelayServer: the server waiting for work; a request or an interrupt re-executes it.
	WaitRelayServer
	// WaitRelaySlot: a call waiting for a free relay request slot; it is re-executed.
	WaitRelaySlot
)

// Thread is one schedulable thread. Regs must stay the first field.
type Thread struct {
	Regs   Regs
	FSBase uint64
	TID    int32
	State  uint8
	Wait   uint8
	// Restart asks the trap layer to execute the thread's syscall again (with the same registers
	// and Deadline) before returning to it.
	Restart  bool
	WaitAddr uintptr
	Deadline int64 // monotonic ns; 0 = none

	// Signal state (runtime/signal).
	SigMask    uint64
	SigPending uint64
	AltSP      uint64
	AltSize    uint64
	AltFlags   uint64
}

const fxSize = 512

var (
	threads [MaxThreads]Thread
	fxArea  [MaxThreads*fxSize + 16]byte
	cur     int // index of the running thread
	runq    [MaxThreads]int32
	runHead int
	runLen  int

	// Timeslice is how long a thread runs before another runnable thread gets the CPU.
	Timeslice int64 = 10e6
	sliceEnd  int64
)

const (
	eTIMEDOUT = 110
	eINTR     = 4
	eAGAIN    = 11
)

// T returns thread i.
func T(i int) *Thread { return &threads[i] }

// Current returns the index of the running thread.
func Current() int { return cur }

// CurrentThread returns the running thread.
func CurrentThread() *Thread { return &threads[cur] }

// FXArea returns the address of thread i's 512-byte FXSAVE area.
func FXArea(i int) uintptr {
	base := (arch.Addr(fxArea[:]) + 15) &^ 15
	return base + uintptr(i)*fxSize
}

// Find returns the index of the live thread with id tid, or -1.
func Find(tid int32) int {
	i := int(tid) - 1
	if i < 0 || i >= MaxThreads || threads[i].State == Free {
		return -1
	}
	return i
}

// New allocates a thread with a copy of regs and the FX state of thread from. It is runnable.
func New(regs *Regs, fsBase uint64, from int) int {
	for i := range threads {
		t := &threads[i]
		if t.State != Free {
			continue
		}
		*t = Thread{Regs: *regs, FSBase: fsBase, TID: int32(i + 1)}
		if from >= 0 {
			arch.Copy(FXArea(i), FXArea(from), fxSize)
			t.SigMask = threads[from].SigMask
		}
		makeRunnable(i)
		return i
	}
	return -1
}

// Start makes thread i the running thread (used once, for the first thread).
func Start(i int) {
	removeRunnable(i)
	cur = i
	threads[i].State = Running
	sliceEnd = ktime.Nanotime() + Timeslice
}

// Exit frees the current thread; Schedule must pick another before returning to user mode.
func Exit() {
	threads[cur].State = Free
}

// Block marks the current thread as waiting. deadline is a monotonic time in ns, 0 for none.
func Block(wait uint8, addr uintptr, deadline int64) {
	t := &threads[cur]
	t.State = Blocked
	t.Wait = wait
	t.WaitAddr = addr
	t.Deadline = deadline
	t.Restart = false
}

// Wake ends thread i's wait with the syscall result res.
func Wake(i int, res int64) {
	t := &threads[i]
	if t.State != Blocked {
		return
	}
	t.Regs.RAX = uint64(res)
	t.Restart = false
	t.Deadline = 0
	makeRunnable(i)
}

// WakeNext ends thread i's wait with the syscall result res, like Wake, and puts it at the head of
// the run queue: the thread woken by a hand-off (a forwarded call and its server) runs next.
func WakeNext(i int, res int64) {
	t := &threads[i]
	if t.State != Blocked {
		return
	}
	t.Regs.RAX = uint64(res)
	t.Restart = false
	t.Deadline = 0
	runFirst(i)
}

// WakeRestartNext ends thread i's wait by re-executing its syscall, like WakeRestart, and puts it
// at the head of the run queue.
func WakeRestartNext(i int) {
	t := &threads[i]
	if t.State != Blocked {
		return
	}
	t.Restart = true
	runFirst(i)
}

func runFirst(i int) {
	threads[i].State = Runnable
	runHead = (runHead + MaxThreads - 1) % MaxThreads
	runq[runHead] = int32(i)
	runLen++
}

// WakeRestartAll re-executes the syscalls of every thread blocked with wait kind wait.
func WakeRestartAll(wait uint8) {
	for i := range threads {
		if t := &threads[i]; t.State == Blocked && t.Wait == wait {
			WakeRestart(i)
		}
	}
}

// WakeFile re-executes the syscalls of the threads blocked on file (WaitFile).
func WakeFile(file uintptr) {
	for i := range threads {
		if t := &threads[i]; t.State == Blocked && t.Wait == WaitFile && t.WaitAddr == file {
			WakeRestart(i)
		}
	}
}

// WakeRestart ends thread i's wait by re-executing its syscall.
func WakeRestart(i int) {
	t := &threads[i]
	if t.State != Blocked {
		return
	}
	t.Restart = true
	makeRunnable(i)
}

// Interrupt ends thread i's wait, if any, with EINTR because a signal is pending. A call
// forwarded to the relay server is not interrupted: the signal waits for its completion.
func Interrupt(i int) {
	if t := &threads[i]; t.State == Blocked && t.Wait != WaitRelay {
		Wake(i, -eINTR)
	}
}

// FutexWake wakes up to n threads waiting on the futex word at addr and returns how many.
func FutexWake(addr uintptr, n int) int {
	woken := 0
	for i := range threads {
		t := &threads[i]
		if woken < n && t.State == Blocked && t.Wait == WaitFutex && t.WaitAddr == addr {
			Wake(i, 0)
			woken++
		}
	}
	return woken
}

// WakePollers re-executes the syscalls of all threads waiting in a poll (epoll_pwait): some
// file's readiness may have changed.
func WakePollers() {
	for i := range threads {
		if t := &threads[i]; t.State == Blocked && t.Wait == WaitPoll {
			WakeRestart(i)
		}
	}
}

// Expire ends the waits whose deadline has passed at now.
func Expire(now int64) {
	for i := range threads {
		t := &threads[i]
		if t.State != Blocked || t.Deadline == 0 || t.Deadline > now {
			continue
		}
		switch t.Wait {
		case WaitFutex:
			Wake(i, -eTIMEDOUT)
		case WaitPoll:
			WakeRestart(i)
		default:
			Wake(i, 0)
		}
	}
}

// NextDeadline returns the earliest deadline of a blocked thread, or 0.
func NextDeadline() int64 {
	var next int64
	for i := range threads {
		t := &threads[i]
		if t.State == Blocked && t.Deadline != 0 && (next == 0 || t.Deadline < next) {
			next = t.Deadline
		}
	}
	return next
}

func makeRunnable(i int) {
	threads[i].State = Runnable
	runq[(runHead+runLen)%MaxThreads] = int32(i)
	runLen++
}

func removeRunnable(i int) {
	for k := 0; k < runLen; k++ {
		if int(runq[(runHead+k)%MaxThreads]) != i {
			continue
		}
		for ; k < runLen-1; k++ {
			runq[(runHead+k)%MaxThreads] = runq[(runHead+k+1)%MaxThreads]
		}
		runLen--
		return
	}
}

// Yield puts the running thread at the back of the run queue if another thread is runnable.
func Yield() {
	if runLen > 0 && threads[cur].State == Running {
		makeRunnable(cur)
	}
}

// Tick is called on a timer interrupt: it ends expired waits and preempts the running thread
// when its timeslice is over and another thread is runnable.
func Tick(now int64) {
	Expire(now)
	if runLen > 0 && threads[cur].State == Running && now >= sliceEnd {
		makeRunnable(cur)
	}
}

// Schedule makes sure a runnable thread is running, idling until one is. It arms the timer for
// the next deadline or the end of the timeslice.
func Schedule() {
	for threads[cur].State != Running {
		if runLen == 0 {
			idle()
			continue
		}
		next := int(runq[runHead])
		runHead = (runHead + 1) % MaxThreads
		runLen--
		cur = next
		threads[cur].State = Running
		sliceEnd = ktime.Nanotime() + Timeslice
	}
	armTimer()
}

func armTimer() {
	next := NextDeadline()
	if runLen > 0 && (next == 0 || sliceEnd < next) {
		next = sliceEnd
	}
	ktime.Arm(next)
}

// idle waits for an interrupt with the timer armed for the next deadline, then ends the waits
// that have expired. Interrupt handlers may also make threads runnable meanwhile.
func idle() {
	ktime.Arm(NextDeadline())
	arch.Halt()
	Expire(ktime.Nanotime())
}

// Live returns the number of threads that are not free.
func Live() int {
	n := 0
	for i := range threads {
		if threads[i].State != Free {
			n++
		}
	}
	return n
}
