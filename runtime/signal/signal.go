// Package signal delivers Linux signals to the threads of the program: rt_sigaction,
// rt_sigprocmask, sigaltstack, tgkill and rt_sigreturn, with the x86-64 rt_sigframe layout, so
// that the Go runtime's own handler (runtime.sigtramp) runs unchanged. That is what turns a nil
// dereference into a Go panic and what makes SIGURG asynchronous preemption work.
//
// Reference: Linux arch/x86/include/asm/sigframe.h (struct rt_sigframe),
// arch/x86/include/uapi/asm/sigcontext.h (struct sigcontext, 64-bit), include/uapi/asm-generic/
// ucontext.h, include/uapi/asm-generic/siginfo.h, arch/x86/kernel/signal.c (frame placement).
package signal

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
)

// Signal numbers used by the kernel itself.
const (
	SIGILL  = 4
	SIGTRAP = 5
	SIGABRT = 6
	SIGBUS  = 7
	SIGFPE  = 8
	SIGKILL = 9
	SIGSEGV = 11
	SIGSTOP = 19
	NSIG    = 64
)

// si_code values.
const (
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	FPE_INTDIV  = 1
	ILL_ILLOPN  = 2
	SI_KERNEL   = 0x80
	SI_TKILL    = -6
	SI_USER     = 0
	TRAP_BRKPT  = 1
)

// sigaction flags and special handlers.
const (
	saSiginfo   = 0x4
	saOnstack   = 0x08000000
	saRestorer  = 0x04000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000
	sigDfl      = 0
	sigIgn      = 1
	ssOnstack   = 1
	ssDisable   = 2
	minSigStack = 2048
)

const (
	unblock = ^uint64(1<<(SIGKILL-1) | 1<<(SIGSTOP-1))
)

type action struct {
	handler, flags, restorer, mask uint64
}

var actions [NSIG + 1]action

func bit(sig int) uint64 { return 1 << (sig - 1) }

// Sigaction implements rt_sigaction(2).
func Sigaction(sig int, act, oact uintptr, size uintptr) int64 {
	if sig < 1 || sig > NSIG || size != 8 {
		return -errno.EINVAL
	}
	if oact != 0 {
		*(*action)(arch.Ptr(oact)) = actions[sig]
	}
	if act != 0 {
		if sig == SIGKILL || sig == SIGSTOP {
			return -errno.EINVAL
		}
		a := *(*action)(arch.Ptr(act))
		a.mask &= unblock
		actions[sig] = a
	}
	return 0
}

// Sigprocmask implements rt_sigprocmask(2) for the current thread.
func Sigprocmask(how int, set, oset uintptr, size uintptr) int64 {
	if size != 8 {
		return -errno.EINVAL
	}
	t := sched.CurrentThread()
	old := t.SigMask
	if set != 0 {
		s := *arch.U64(set)
		switch how {
		case 0: // SIG_BLOCK
			t.SigMask |= s
		case 1: // SIG_UNBLOCK
			t.SigMask &^= s
		case 2: // SIG_SETMASK
			t.SigMask = s
		default:
			return -errno.EINVAL
		}
		t.SigMask &= unblock
	}
	if oset != 0 {
		*arch.U64(oset) = old
	}
	return 0
}

// stack_t (include/uapi/asm-generic/signal.h): ss_sp @0, ss_flags @8 (int), ss_size @16.
type stackT struct {
	sp    uint64
	flags int32
	_     int32
	size  uint64
}

func onAltStack(t *sched.Thread, sp uint64) bool {
	return t.AltFlags&ssDisable == 0 && t.AltSize != 0 && sp > t.AltSP && sp <= t.AltSP+t.AltSize
}

// Sigaltstack implements sigaltstack(2) for the current thread.
func Sigaltstack(ss, oss uintptr) int64 {
	t := sched.CurrentThread()
	on := onAltStack(t, t.Regs.RSP)
	if oss != 0 {
		o := stackT{sp: t.AltSP, size: t.AltSize, flags: int32(t.AltFlags)}
		if t.AltSize == 0 {
			o.flags = ssDisable
		}
		if on {
			o.flags = ssOnstack
		}
		*(*stackT)(arch.Ptr(oss)) = o
	}
	if ss != 0 {
		n := *(*stackT)(arch.Ptr(ss))
		if on {
			return -errno.EPERM
		}
		switch {
		case n.flags&ssDisable != 0:
			t.AltSP, t.AltSize, t.AltFlags = 0, 0, ssDisable
		case n.flags != 0:
			return -errno.EINVAL
		case n.size < minSigStack:
			return -errno.ENOMEM
		default:
			t.AltSP, t.AltSize, t.AltFlags = n.sp, n.size, 0
		}
	}
	return 0
}

// Send makes signal sig pending for thread i (tgkill). A thread blocked in a syscall is woken
// with EINTR when the signal is not blocked.
func Send(i, sig int) {
	t := sched.T(i)
	if actions[sig].handler == sigIgn || actions[sig].handler == sigDfl && defaultIgnored(sig) {
		return
	}
	t.SigPending |= bit(sig)
	if t.SigMask&bit(sig) == 0 {
		sched.Interrupt(i)
	}
}

func defaultIgnored(sig int) bool {
	switch sig {
	case 17, 18, 20, 21, 22, 23, 28: // CHLD, CONT, TSTP, TTIN, TTOU, URG, WINCH
		return true
	}
	return false
}

// Fault raises a synchronous signal (a CPU exception in program code) on the current thread. It
// returns false when the program cannot handle it: the signal is blocked, ignored or has its
// default action, and the process must die.
func Fault(sig, code int, addr, trapno uint64) bool {
	a := actions[sig]
	t := sched.CurrentThread()
	if a.handler == sigDfl || a.handler == sigIgn || t.SigMask&bit(sig) != 0 {
		return false
	}
	// Recorded for the frame of the delivery (Deliver).
	t.FaultSig, t.FaultCode, t.FaultAddr, t.FaultTrapno = int32(sig), int32(code), addr, trapno
	t.SigPending |= bit(sig)
	return true
}

// Deliverable returns the lowest pending, unblocked signal of thread i, or 0.
func Deliverable(i int) int {
	t := sched.T(i)
	p := t.SigPending &^ t.SigMask
	if p == 0 {
		return 0
	}
	for s := 1; s <= NSIG; s++ {
		if p&bit(s) != 0 {
			return s
		}
	}
	return 0
}

// Fatal reports whether delivering sig means the default action "terminate".
func Fatal(sig int) bool {
	return actions[sig].handler == sigDfl && !defaultIgnored(sig)
}
