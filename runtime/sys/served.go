package sys

// This file implements the system calls served in program context: sockets (and the descriptor
// calls on served files) are forwarded to the relay server (runtime/relay), and the server's own
// private calls.

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/irq"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/runtime/sched"
)

var warnedNoServer bool

// Services is set at boot when the kernel links program-context services: a call forwarded before
// their server runs is then worth a warning.
var Services bool

// forward sends the running thread's call to the server, on served object obj (-1: none).
// Without a server (the program made the call before the library OS's services started, in a
// package initialiser) it answers noServer and says so once.
func forward(r *sched.Regs, obj int32, flags, seq uint32, noServer int64) int64 {
	args := [6]uint64{r.RDI, r.RSI, r.RDX, r.R10, r.R8, r.R9}
	if relay.Forward(uint32(r.RAX), obj, flags, seq, args) {
		return 0 // the thread is blocked; the completion sets its result
	}
	if Services && !warnedNoServer {
		warnedNoServer = true
		klog.Print("unikgen: ")
		klog.Print(Name(int(r.RAX)))
		klog.Print(" before the library OS's services started (during package initialisation?): failing it\n")
	}
	return noServer
}

// onServed forwards the call when its first argument is a served descriptor. It reports whether
// it did; the handler then returns at once (the completion sets the result).
func onServed(r *sched.Regs) bool {
	obj, flags, seq, ok := fd.Served(int(r.RDI))
	if !ok {
		return false
	}
	forward(r, obj, flags, seq, -errno.EBADF)
	return true
}

// Socket implements socket(2) and socketpair(2) through the server.
func Socket(r *sched.Regs) int64 { return forward(r, -1, 0, 0, -errno.EAFNOSUPPORT) }

// SocketCall implements the calls that take a socket descriptor first (bind, listen, accept,
// connect, getsockname, getpeername, setsockopt, getsockopt, shutdown, sendto, recvfrom,
// sendmsg, recvmsg, ...): forwarded when the descriptor is served, ENOTSOCK for the kernel's own
// files.
func SocketCall(r *sched.Regs) int64 {
	if onServed(r) {
		return 0
	}
	if fd.Fcntl(int(r.RDI), 1, 0) < 0 {
		return -errno.EBADF
	}
	return -errno.ENOTSOCK
}

// RelayWait implements relay_wait(out, size, done, n) for the server: apply n completions, then
// collect work. The first call makes the calling thread the server; with size 0 it only does
// that.
func RelayWait(r *sched.Regs) int64 {
	if !relay.Serve() {
		return -errno.EINVAL
	}
	if r.RSI == 0 {
		return 0
	}
	t := sched.CurrentThread()
	if !t.Restart { // a re-executed call applied its completions the first time
		if res := applyCompletions(uintptr(r.RDX), int(r.R10)); res < 0 {
			return res
		}
	}
	return relay.Wait(uintptr(r.RDI), uintptr(r.RSI))
}

// RelayDone implements relay_done(done, n): completions from any thread of the program.
func RelayDone(r *sched.Regs) int64 { return applyCompletions(uintptr(r.RDI), int(r.RSI)) }

// RelayNotify implements relay_notify(obj, events): events happened on a served object.
func RelayNotify(r *sched.Regs) int64 { return fd.Notify(int32(r.RDI), uint32(r.RSI)) }

// RelayIRQ implements relay_irq(line, gsi, ack, addr): route a device interrupt to the server.
func RelayIRQ(r *sched.Regs) int64 {
	return irq.Route(int(int32(r.RDI)), int(int32(r.RSI)), uint8(r.RDX), r.R10)
}

// RelayDMA implements relay_dma(): a zeroed 4 KiB frame, identity-mapped below 4 GiB, for device
// rings and buffers. It returns its physical address, which is also its address.
func RelayDMA(r *sched.Regs) int64 {
	pa, ok := mm.AllocFrame()
	if !ok {
		return -errno.ENOMEM
	}
	return int64(pa)
}

func applyCompletions(done uintptr, n int) int64 {
	if n < 0 || n > relay.MaxRequests {
		return -errno.EINVAL
	}
	for k := 0; k < n; k++ {
		complete(done + uintptr(k)*wire.CompletionSize)
	}
	return 0
}

// complete applies one completion record (runtime/relay/wire).
func complete(rec uintptr) {
	id := *arch.U32(rec + wire.DoneID)
	how := *arch.U32(rec + wire.DoneHow)
	result := int64(*arch.U64(rec + wire.DoneResult))
	ready := *arch.U32(rec + wire.DoneReady)
	wait := *arch.U32(rec + wire.DoneWait)
	req, ok := relay.Lookup(id)
	if !ok {
		return
	}
	if req.Obj >= 0 {
		fd.Completed(req.Obj, ready, req.Seq)
	}
	if (how == wire.HowInstall || how == wire.HowInstallFile) && result >= 0 {
		obj := int32(result)
		result = fd.Install(obj, int(*arch.U32(rec + wire.DoneFDFlags)), how == wire.HowInstall, ready)
		if result < 0 {
			relay.Notify(wire.OpRelease, obj)
		}
	}
	relay.Finish(id)
	if result == -errno.EAGAIN && wait != 0 && req.Obj >= 0 && fd.Blocking(req.Obj) {
		// A blocking descriptor: wait for the events, then run the call again.
		t := sched.T(req.Thread)
		t.Wait, t.WaitAddr = sched.WaitFile, uintptr(fd.FileOf(req.Obj))
		if fd.ReadyOf(req.Obj)&wait != 0 {
			sched.WakeRestart(req.Thread)
		}
		return
	}
	sched.WakeNext(req.Thread, result)
}
