package sys

import (
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/signal"
)

// RtSigaction implements rt_sigaction(2).
func RtSigaction(r *sched.Regs) int64 {
	return signal.Sigaction(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), uintptr(r.R10))
}

// RtSigprocmask implements rt_sigprocmask(2).
func RtSigprocmask(r *sched.Regs) int64 {
	return signal.Sigprocmask(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), uintptr(r.R10))
}

// Sigaltstack implements sigaltstack(2).
func Sigaltstack(r *sched.Regs) int64 { return signal.Sigaltstack(uintptr(r.RDI), uintptr(r.RSI)) }

// RtSigreturn implements rt_sigreturn(2).
func RtSigreturn(r *sched.Regs) int64 { return signal.Sigreturn() }
