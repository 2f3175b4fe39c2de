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
	"github.com/unikgen/unikgen/runtime/sysno"
)

var warnedNoServer bool

// Services is set at boot when the kernel links program-context services: a call forwarded before
// their server runs is then worth a warning.
var Services bool

// forward sends the running thread's call to the server, on served object obj (-1: none).
// Without a server (the program made the call before the library OS's services started, in a
// package initialiser) it answers noServer and says so once.
func forward(r *sched.Regs, obj int32, flags, seq uint32, noServer int64) int64 {
	return forwardSpare(r, obj, flags, seq, -1, noServer)
}

// forwardSpare is forward for a call that may make a descriptor: spare is the object number
// reserved for it (freed again if the call does not use it).
func forwardSpare(r *sched.Regs, obj int32, flags, seq uint32, spare int32, noServer int64) int64 {
	args := [6]uint64{r.RDI, r.RSI, r.RDX, r.R10, r.R8, r.R9}
	if relay.Forward(uint32(r.RAX), obj, flags, seq, spare, args) {
		return 0 // the thread is blocked; the completion sets its result
	}
	if spare >= 0 {
		fd.FreeObj(spare)
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

// Epoll bits and message flags for the fast paths.
const (
	epollIN     = 0x1
	epollOUT    = 0x4
	msgPeek     = 0x2
	msgDontwait = 0x40
)

// noAddr reports an empty source address to a recvfrom on a connection (Linux fills none).
func noAddr(lenAddr uintptr) {
	if lenAddr >= 4096 {
		*arch.U32(lenAddr) = 0
	}
}

// streamIov serves readv/writev-like transfers of cnt iovecs at iov on a ring socket: each
// buffer in turn, stopping at the first short one; only the first may wait. ok is false without a
// ring.
func streamIov(fdn int, iov uintptr, cnt int, write, peek, dontwait bool) (int64, bool) {
	if cnt < 0 || cnt > fd.MaxIov {
		if _, _, _, served := fd.Served(fdn); !served {
			return 0, false
		}
		return -errno.EINVAL, true
	}
	var total int64
	for i := 0; i < cnt; i++ {
		base, l := fd.Iovec(iov, i)
		if l == 0 {
			continue
		}
		var n int64
		var ok bool
		if write {
			n, ok = fd.StreamWrite(fdn, base, l, dontwait || total > 0)
		} else {
			n, ok = fd.StreamRead(fdn, base, l, peek, dontwait || total > 0)
		}
		if !ok {
			return 0, false
		}
		if n < 0 || sched.CurrentThread().State != sched.Running { // an error, or the caller waits
			if total > 0 && n == -errno.EAGAIN {
				return total, true
			}
			return n, true
		}
		total += n
		if uintptr(n) < l || peek {
			break
		}
	}
	if total == 0 && cnt > 0 {
		// Every buffer was empty: a read of 0 bytes, which still reports EOF or errors.
		if write {
			return fd.StreamWrite(fdn, 0, 0, true)
		}
		return fd.StreamRead(fdn, 0, 0, peek, true)
	}
	return total, true
}

// struct msghdr offsets (x86-64).
const (
	msgNamelen    = 8
	msgIov        = 16
	msgIovlen     = 24
	msgControllen = 40
	msgFlagsOff   = 48
)

// streamMsg serves recvmsg (write false) or sendmsg on a ring socket. A connection has no source
// address and no control messages to give; those sendmsg carries are ignored, as TCP does.
func streamMsg(r *sched.Regs, write bool) (int64, bool) {
	msg := uintptr(r.RSI)
	if msg < 4096 {
		if _, _, _, served := fd.Served(int(r.RDI)); served {
			return -errno.EFAULT, true
		}
		return 0, false
	}
	flags := r.RDX
	n, ok := streamIov(int(r.RDI), uintptr(*arch.U64(msg + msgIov)), int(*arch.U64(msg + msgIovlen)), write,
		flags&msgPeek != 0, flags&msgDontwait != 0)
	if ok && !write && n >= 0 {
		*arch.U32(msg + msgNamelen) = 0
		*arch.U64(msg + msgControllen) = 0
		*arch.U32(msg + msgFlagsOff) = 0
	}
	return n, ok
}

// wouldBlock answers a non-blocking call on a served descriptor that needs events with EAGAIN
// when the kernel knows the object is not ready (fd.WouldBlock): the read that finds no data
// after each request, the accept that finds no connection, never reach the server. flagsArg is
// the call's message flags (MSG_DONTWAIT), or 0.
func wouldBlock(r *sched.Regs, events uint32, msgFlags uint64) bool {
	_, flags, _, ok := fd.Served(int(r.RDI))
	if !ok || flags&04000 == 0 && msgFlags&msgDontwait == 0 { // O_NONBLOCK
		return false
	}
	return fd.WouldBlock(int(r.RDI), events)
}

// Socket implements socket(2). The kernel checks the arguments, reserves an object number and a
// descriptor, and returns at once; the server makes the endpoint from a request no thread waits
// for, before any later call on the descriptor (requests reach it in order). socket(2) must not
// wait for the server: Go makes it with RawSyscall, which keeps the caller's P, and the server
// may need that P to run (docs/network.md).
func Socket(r *sched.Regs) int64 {
	if !relay.Running() {
		return forward(r, -1, 0, 0, -errno.EAFNOSUPPORT) // not forwarded: warns and fails
	}
	family, typ, proto := int(r.RDI), int(r.RSI), int(r.RDX)
	flags := typ & (sockNonblock | sockCloexec)
	if e := checkSocket(family, typ&^(sockNonblock|sockCloexec), proto); e != 0 {
		return e
	}
	if typ&^(sockNonblock|sockCloexec|0xf) != 0 {
		return -errno.EINVAL
	}
	obj := fd.AllocObj()
	if obj < 0 {
		return -errno.ENFILE
	}
	n := fd.Install(obj, fileFlags(flags), true, 0)
	if n < 0 {
		fd.FreeObj(obj)
		return n
	}
	fd.SetFamily(obj, uint16(family))
	if !relay.Notify(uint32(r.RAX), obj, [6]uint64{r.RDI, r.RSI, r.RDX}) {
		fd.Close(int(n))
		return -errno.ENOBUFS
	}
	return n
}

// Socket flags (include/linux/net.h) and the families, types and protocols served.
const (
	sockNonblock = 04000
	sockCloexec  = 02000000
	afINET       = 2
	afINET6      = 10
	afUNIX       = 1
	sockStream   = 1
	sockDgram    = 2
	sockRaw      = 3
	protoTCP     = 6
	protoUDP     = 17
)

// checkSocket returns the error socket(2) gives for an unsupported family, type or protocol, as
// Linux does (an IPPROTO_MPTCP stream socket is EPROTONOSUPPORT: Go then uses TCP).
func checkSocket(family, typ, proto int) int64 {
	if family != afINET && family != afINET6 {
		return -errno.EAFNOSUPPORT
	}
	switch {
	case typ == sockStream && (proto == 0 || proto == protoTCP), typ == sockDgram && (proto == 0 || proto == protoUDP):
		return 0
	case typ == sockStream || typ == sockDgram:
		return -errno.EPROTONOSUPPORT
	case typ == sockRaw:
		return -errno.EPERM
	}
	return -errno.ESOCKTNOSUPPORT
}

// fileFlags turns SOCK_NONBLOCK and SOCK_CLOEXEC into a descriptor's flags.
func fileFlags(sockFlags int) int {
	f := 02 // O_RDWR
	if sockFlags&sockNonblock != 0 {
		f |= 04000
	}
	if sockFlags&sockCloexec != 0 {
		f |= 02000000
	}
	return f
}

// Socketpair implements socketpair(2): pairs exist only for AF_UNIX, which the library OS has not.
func Socketpair(r *sched.Regs) int64 {
	if int(r.RDI) == afINET || int(r.RDI) == afINET6 {
		return -errno.EOPNOTSUPP
	}
	return -errno.EAFNOSUPPORT
}

// Getsockname implements getsockname(2), from the addresses the server reported.
func Getsockname(r *sched.Regs) int64 {
	return fd.Sockname(int(r.RDI), false, uintptr(r.RSI), uintptr(r.RDX))
}

// Getpeername implements getpeername(2), from the addresses the server reported.
func Getpeername(r *sched.Regs) int64 {
	return fd.Sockname(int(r.RDI), true, uintptr(r.RSI), uintptr(r.RDX))
}

// SocketCall implements the calls that take a socket descriptor first (bind, listen, connect,
// setsockopt, getsockopt, shutdown, sendto, recvfrom, sendmsg, recvmsg): forwarded when the
// descriptor is served, ENOTSOCK for the kernel's own files.
func SocketCall(r *sched.Regs) int64 {
	switch r.RAX {
	case 45: // recvfrom(fd, buf, len, flags, addr, addrlen)
		if n, ok := fd.StreamRead(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), r.R10&msgPeek != 0, r.R10&msgDontwait != 0); ok {
			noAddr(uintptr(r.R9))
			return n
		}
		if wouldBlock(r, epollIN, r.R10) {
			return -errno.EAGAIN
		}
	case 47: // recvmsg(fd, msg, flags)
		if n, ok := streamMsg(r, false); ok {
			return n
		}
		if wouldBlock(r, epollIN, r.RDX) {
			return -errno.EAGAIN
		}
	case 44: // sendto(fd, buf, len, flags, addr, addrlen): the address is ignored on a connection
		if n, ok := fd.StreamWrite(int(r.RDI), uintptr(r.RSI), uintptr(r.RDX), r.R10&msgDontwait != 0); ok {
			return n
		}
		if wouldBlock(r, epollOUT, r.R10) {
			return -errno.EAGAIN
		}
	case 46: // sendmsg(fd, msg, flags)
		if n, ok := streamMsg(r, true); ok {
			return n
		}
		if wouldBlock(r, epollOUT, r.RDX) {
			return -errno.EAGAIN
		}
	case 48: // shutdown(fd, how)
		if n, ok := fd.StreamShutdown(int(r.RDI), int(r.RSI)); ok {
			return n // the server shuts the endpoint down once the ring is drained (OpEvent)
		}
	}
	if onServed(r) {
		return 0
	}
	if fd.Fcntl(int(r.RDI), 1, 0) < 0 {
		return -errno.EBADF
	}
	return -errno.ENOTSOCK
}

// Accept implements accept(2) and accept4(2): forwarded with a spare object number for the
// connection.
func Accept(r *sched.Regs) int64 {
	obj, flags, seq, ok := fd.Served(int(r.RDI))
	if !ok {
		return SocketCall(r)
	}
	if wouldBlock(r, epollIN, 0) {
		return -errno.EAGAIN
	}
	spare := fd.AllocObj()
	if spare < 0 {
		return -errno.ENFILE
	}
	return forwardSpare(r, obj, flags, seq, spare, -errno.EBADF)
}

// RelayRing implements relay_ring(op, x): op 0 attaches a ring pair to object x and returns the
// address of its header; op 1 frees the ring pair whose header is at x.
func RelayRing(r *sched.Regs) int64 {
	switch r.RDI {
	case 0:
		return fd.AttachRing(int32(r.RSI))
	case 1:
		return fd.FreeRing(uintptr(r.RSI))
	}
	return -errno.EINVAL
}

// RelayKick implements relay_kick(obj): queue an OpEvent for obj's rings.
func RelayKick(r *sched.Regs) int64 { return fd.Kick(int32(r.RDI)) }

// RelayAddr implements relay_addr(obj, local, llen, remote, rlen): a socket's addresses.
func RelayAddr(r *sched.Regs) int64 {
	return fd.SetAddrs(int32(r.RDI), uintptr(r.RSI), int(r.RDX), uintptr(r.R10), int(r.R8))
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
func RelayNotify(r *sched.Regs) int64 {
	if int32(r.RDI) == wire.ObjExitSync {
		exitSyncWanted = r.RSI != 0
		return 0
	}
	return fd.Notify(int32(r.RDI), uint32(r.RSI))
}

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
	if (how == wire.HowInstall || how == wire.HowInstallFile) && result >= 0 && req.Spare >= 0 {
		result = fd.Install(req.Spare, int(*arch.U32(rec + wire.DoneFDFlags)), how == wire.HowInstall, ready)
		if result < 0 {
			relay.Notify(wire.OpRelease, req.Spare, [6]uint64{})
		}
	} else if req.Spare >= 0 {
		fd.FreeObj(req.Spare)
	}
	relay.Finish(id)
	if req.Nr == sysno.SYS_MMAP {
		result = mmapDone(req.Thread, result)
	}
	if req.Nr == sysno.SYS_EXIT_GROUP {
		exitSyncDone(req.Thread, result)
		return
	}
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
