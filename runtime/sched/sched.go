// Package sched keeps the threads that the Go runtime creates with clone(2) and shares the one
// CPU between them preemptively.
//
// The kernel runs to completion: it never sleeps on a kernel stack. A thread that must wait (in
// futex, nanosleep or epoll_pwait) is marked blocked with its saved user registers, and the kernel
// returns to some other thread. When the wait ends, the thread's syscall result is stored in its
// saved RAX, or the syscall is marked for re-execution (Restart), and the thread becomes runnable.
// The trap layer (runtime/trap) saves and restores the registers named by Current.
//
// Threads are bounded by memory: each lives in a 1 KiB slot (the Thread, then its FXSAVE area)
// of a 4 KiB frame taken from runtime/mm when the slots in use run out, so a program with many
// blocking calls or locked OS threads can have thousands. A thread's index is its slot, and its
// id is the index plus one. Slots are reused after a thread exits; frames are not given back.
package sched

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
)

// MaxThreads bounds the number of threads beyond what memory bounds: the Go runtime itself stops
// at 10,000 (runtime/debug.SetMaxThreads).
const MaxThreads = 16384

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
	// WaitConsole: a write to the console waiting for its device to take earlier output
	// (runtime/console); it is re-executed when the device has room. Not interruptible, like
	// WaitRelay: the Go runtime does not retry its own writes (a panic's trace) after EINTR.
	WaitConsole
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
	// The synchronous fault (a CPU exception) whose signal is pending, for its frame.
	FaultSig, FaultCode int32
	FaultAddr           uint64
	FaultTrapno         uint64

	// The run queue links: index+1 of the previous and next runnable thread, 0 at the ends.
	runPrev, runNext int32
}

// Thread slots: the Thread at the start, its 16-byte aligned FXSAVE area at fxOffset.
const (
	fxSize        = 512
	slotSize      = 1024
	fxOffset      = slotSize - fxSize
	slotsPerFrame = mm.PageSize / slotSize
)

// A Thread must fit before the FX area of its slot.
const _ = uint(fxOffset - unsafe.Sizeof(Thread{}))

var (
	slotFrames [MaxThreads / slotsPerFrame]uintptr // frames holding the slots, allocated as needed
	nslots     int                                 // slots in use or used before: threads are 0..nslots-1
	live       int                                 // threads that are not free
	firstFree  int                                 // no slot below this one is free

	// allocFrame, when set, replaces mm.AllocFrame (tests on the host).
	allocFrame func() (uintptr, bool)

	cur     int   // index of the running thread
	runHead int32 // index+1 of the first runnable thread, 0 when none
	runTail int32
	runLen  int

	// Timeslice is how long a thread runs before another runnable thread gets the CPU.
	Timeslice int64 = 10e6
	sliceEnd  int64
)

func slot(i int) uintptr { return slotFrames[i/slotsPerFrame] + uintptr(i%slotsPerFrame)*slotSize }

// T returns thread i.
func T(i int) *Thread { return (*Thread)(arch.Ptr(slot(i))) }

// Current returns the index of the running thread.
func Current() int { return cur }

// CurrentThread returns the running thread.
func CurrentThread() *Thread { return T(cur) }

// FXArea returns the address of thread i's 512-byte FXSAVE area.
func FXArea(i int) uintptr { return slot(i) + fxOffset }

// Find returns the index of the live thread with id tid, or -1.
func Find(tid int32) int {
	i := int(tid) - 1
	if i < 0 || i >= nslots || T(i).State == Free {
		return -1
	}
	return i
}

// freeSlot returns a free thread slot, taking a new frame when every slot is in use; -1 when
// memory or MaxThreads is exhausted.
func freeSlot() int {
	for ; firstFree < nslots; firstFree++ {
		if T(firstFree).State == Free {
			return firstFree
		}
	}
	if nslots == MaxThreads {
		return -1
	}
	if slotFrames[nslots/slotsPerFrame] == 0 {
		alloc := allocFrame
		if alloc == nil {
			alloc = mm.AllocFrame
		}
		f, ok := alloc()
		if !ok {
			return -1
		}
		slotFrames[nslots/slotsPerFrame] = f
	}
	nslots++
	return nslots - 1
}

// UseFrames makes New take the frames for thread slots from alloc instead of runtime/mm: for
// tests on the host, where runtime/mm has no memory (see package schedtest).
func UseFrames(alloc func() (uintptr, bool)) { allocFrame = alloc }

// New allocates a thread with a copy of regs and the FX state of thread from. It is runnable.
// It returns -1 when no memory is left for another thread.
func New(regs *Regs, fsBase uint64, from int) int {
	i := freeSlot()
	if i < 0 {
		return -1
	}
	t := T(i)
	*t = Thread{Regs: *regs, FSBase: fsBase, TID: int32(i + 1)}
	if from >= 0 {
		arch.Copy(FXArea(i), FXArea(from), fxSize)
		t.SigMask = T(from).SigMask
	}
	live++
	makeRunnable(i)
	return i
}

// Start makes thread i the running thread (used once, for the first thread).
func Start(i int) {
	removeRunnable(i)
	cur = i
	T(i).State = Running
	sliceEnd = ktime.Nanotime() + Timeslice
}

// Exit frees the current thread; Schedule must pick another before returning to user mode.
func Exit() {
	T(cur).State = Free
	live--
	firstFree = min(firstFree, cur)
}

// Block marks the current thread as waiting. deadline is a monotonic time in ns, 0 for none.
func Block(wait uint8, addr uintptr, deadline int64) {
	t := T(cur)
	t.State = Blocked
	t.Wait = wait
	t.WaitAddr = addr
	t.Deadline = deadline
	t.Restart = false
}

// Wake ends thread i's wait with the syscall result res.
func Wake(i int, res int64) { wake(i, res, false, false) }

// WakeNext ends thread i's wait with the syscall result res, like Wake, and puts it at the head of
// the run queue: the thread woken by a hand-off (a forwarded call and its server) runs next.
func WakeNext(i int, res int64) { wake(i, res, false, true) }

// WakeRestartNext ends thread i's wait by re-executing its syscall, like WakeRestart, and puts it
// at the head of the run queue.
func WakeRestartNext(i int) { wake(i, 0, true, true) }

// WakeRestart ends thread i's wait by re-executing its syscall.
func WakeRestart(i int) { wake(i, 0, true, false) }

// wake ends thread i's wait, if it is blocked: with restart its syscall runs again (its deadline
// stays), else the syscall returns res. first puts it at the head of the run queue, else at the
// tail.
func wake(i int, res int64, restart, first bool) {
	t := T(i)
	if t.State != Blocked {
		return
	}
	if restart {
		t.Restart = true
	} else {
		t.Regs.RAX = uint64(res)
		t.Restart = false
		t.Deadline = 0
	}
	if first {
		runFirst(i)
	} else {
		makeRunnable(i)
	}
}

// runFirst puts thread i at the head of the run queue.
func runFirst(i int) {
	t := T(i)
	t.State = Runnable
	t.runPrev, t.runNext = 0, runHead
	if runHead != 0 {
		T(int(runHead) - 1).runPrev = int32(i + 1)
	} else {
		runTail = int32(i + 1)
	}
	runHead = int32(i + 1)
	runLen++
}

// WakeRestartAll re-executes the syscalls of every thread blocked with wait kind wait.
func WakeRestartAll(wait uint8) {
	for i := 0; i < nslots; i++ {
		if t := T(i); t.State == Blocked && t.Wait == wait {
			WakeRestart(i)
		}
	}
}

// WakeFile re-executes the syscalls of the threads blocked on file (WaitFile).
func WakeFile(file uintptr) {
	for i := 0; i < nslots; i++ {
		if t := T(i); t.State == Blocked && t.Wait == WaitFile && t.WaitAddr == file {
			WakeRestart(i)
		}
	}
}

// Interrupt ends thread i's wait, if any, with EINTR because a signal is pending. A call
// forwarded to the relay server, and a write waiting for the console, are not interrupted: the
// signal waits for their completion.
func Interrupt(i int) {
	if t := T(i); t.State == Blocked && t.Wait != WaitRelay && t.Wait != WaitConsole {
		Wake(i, -errno.EINTR)
	}
}

// FutexWake wakes up to n threads waiting on the futex word at addr and returns how many.
func FutexWake(addr uintptr, n int) int {
	woken := 0
	for i := 0; i < nslots; i++ {
		t := T(i)
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
	for i := 0; i < nslots; i++ {
		if t := T(i); t.State == Blocked && t.Wait == WaitPoll {
			WakeRestart(i)
		}
	}
}

// Expire ends the waits whose deadline has passed at now.
func Expire(now int64) {
	for i := 0; i < nslots; i++ {
		t := T(i)
		if t.State != Blocked || t.Deadline == 0 || t.Deadline > now {
			continue
		}
		switch t.Wait {
		case WaitFutex:
			Wake(i, -errno.ETIMEDOUT)
		case WaitPoll, WaitRelay:
			// WaitRelay has a deadline only in exit_group's bounded wait for the volumes'
			// sync (runtime/sys/exit.go): it runs again and powers off.
			WakeRestart(i)
		default:
			Wake(i, 0)
		}
	}
}

// NextDeadline returns the earliest deadline of a blocked thread, or 0.
func NextDeadline() int64 {
	var next int64
	for i := 0; i < nslots; i++ {
		t := T(i)
		if t.State == Blocked && t.Deadline != 0 && (next == 0 || t.Deadline < next) {
			next = t.Deadline
		}
	}
	return next
}

// makeRunnable puts thread i at the back of the run queue.
func makeRunnable(i int) {
	t := T(i)
	t.State = Runnable
	t.runPrev, t.runNext = runTail, 0
	if runTail != 0 {
		T(int(runTail) - 1).runNext = int32(i + 1)
	} else {
		runHead = int32(i + 1)
	}
	runTail = int32(i + 1)
	runLen++
}

// removeRunnable takes thread i out of the run queue, if it is in it.
func removeRunnable(i int) {
	t := T(i)
	if t.State != Runnable {
		return
	}
	if t.runPrev != 0 {
		T(int(t.runPrev) - 1).runNext = t.runNext
	} else {
		runHead = t.runNext
	}
	if t.runNext != 0 {
		T(int(t.runNext) - 1).runPrev = t.runPrev
	} else {
		runTail = t.runPrev
	}
	t.runPrev, t.runNext = 0, 0
	runLen--
}

// Yield puts the running thread at the back of the run queue if another thread is runnable.
func Yield() {
	if runLen > 0 && T(cur).State == Running {
		makeRunnable(cur)
	}
}

// Tick is called on a timer interrupt: it ends expired waits and preempts the running thread
// when its timeslice is over and another thread is runnable.
func Tick(now int64) {
	Expire(now)
	if runLen > 0 && T(cur).State == Running && now >= sliceEnd {
		makeRunnable(cur)
	}
}

// Schedule makes sure a runnable thread is running, idling until one is. It arms the timer for
// the next deadline or the end of the timeslice.
func Schedule() {
	for T(cur).State != Running {
		if runLen == 0 {
			idle()
			continue
		}
		next := int(runHead) - 1
		removeRunnable(next)
		cur = next
		T(cur).State = Running
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
func Live() int { return live }
