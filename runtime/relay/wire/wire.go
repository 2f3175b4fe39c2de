// Package wire is the binary interface between the kernel side of the relay (runtime/relay) and
// its server in program context (services/relay): the private system-call numbers, and the
// layouts of the records the two exchange through the server's buffers. It is pure data, shared
// by both sides so that neither can drift from the other.
//
// The server asks for work with relay_wait and answers with completions:
//
//	relay_wait(out, outLen, done, nDone) -> number of request records written to out
//	relay_done(done, nDone)             -> 0
//	relay_notify(obj, events)           -> 0
//	relay_irq(line, gsi, ack, addr)     -> vector (routes a device interrupt to the server; with
//	                                       gsi GSIEventChannel, Xen event channel addr)
//	relay_dma()                         -> physical address of a zeroed frame
//	relay_addr(obj, local, llen, remote, rlen) -> 0 (a socket's addresses, for getsockname)
//
// Object numbers belong to the kernel: socket(2) reserves one and queues a request with no
// caller (OpCreate semantics: nr SYS_SOCKET, tid 0) for the server to make the object; a call
// that may make a new descriptor (accept4, openat) carries a spare number the server fills.
// The out buffer starts with a header, then request records:
//
//	header (16 bytes)                 request record (72 bytes)
//	+0  u32 count of records          +0  u32 id       (echoed in the completion)
//	+4  u32 reserved                  +4  u32 nr       (system call number, or an Op)
//	+8  u64 interrupt lines pending   +8  i32 obj      (server object of the descriptor, or -1)
//	                                  +12 u32 flags    (the descriptor's status flags)
//	                                  +16 u32 tid      (the calling thread; 0: nobody waits)
//	                                  +20 i32 spare    (an object number reserved for a new
//	                                                    descriptor the call may make, or -1)
//	                                  +24 u64 args[6]  (the system call's arguments)
//
// A completion record (32 bytes):
//
//	+0  u32 id        the request answered
//	+4  u32 how       HowResult, HowInstall...: how to apply the result
//	+8  i64 result    the system call's result, or -errno
//	+16 u32 ready     the object's readiness (epoll bits) after the call
//	+20 u32 wait      with result -EAGAIN: the events a blocking descriptor waits for before the
//	                  call runs again
//	+24 u32 fdflags   with Install: the new descriptor's access mode, O_APPEND, O_NONBLOCK and
//	                  O_CLOEXEC
//	+28 u32 newready  with Install: the new object's readiness (ready is the request's object's)
//
// All fields are little-endian (the machine's order).
package wire

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sysno"
)

// Private system calls (defined in runtime/sysno).
const (
	SysWait   = sysno.SYS_UNIKGEN_RELAY_WAIT
	SysDone   = sysno.SYS_UNIKGEN_RELAY_DONE
	SysNotify = sysno.SYS_UNIKGEN_RELAY_NOTIFY
	SysIRQ    = sysno.SYS_UNIKGEN_RELAY_IRQ
	SysDMA    = sysno.SYS_UNIKGEN_RELAY_DMA
	SysAddr   = sysno.SYS_UNIKGEN_RELAY_ADDR
	SysRing   = sysno.SYS_UNIKGEN_RELAY_RING
	SysKick   = sysno.SYS_UNIKGEN_RELAY_KICK
)

// Header and record layouts.
const (
	HeaderSize  = 16
	HdrCount    = 0
	HdrIRQs     = 8
	RequestSize = 72
	ReqID       = 0
	ReqNr       = 4
	ReqObj      = 8
	ReqFlags    = 12
	ReqTID      = 16
	ReqSpare    = 20
	ReqArgs     = 24

	CompletionSize = 32
	DoneID         = 0
	DoneHow        = 4
	DoneResult     = 8
	DoneReady      = 16
	DoneWait       = 20
	DoneFDFlags    = 24
	DoneNewReady   = 28
)

// Request numbers that are not system calls.
const (
	// OpRelease tells the server that the last descriptor of obj was closed. No thread waits
	// for it and it gets no completion.
	OpRelease = 1000
	// OpEvent tells the server to look at obj's stream rings: the program wrote into an empty
	// transmit ring, read from a receive ring the server had found full, or shut the socket
	// down; or a goroutine of the server's own kicked it (relay_kick). Events take no request
	// slot: the kernel keeps a bit per object, so several make one.
	OpEvent = 1001
)

// Stream rings. A connected stream socket moves its bytes through two rings in kernel frames,
// shared by the kernel (which serves read and write from them, in the caller's context) and the
// server (which moves the bytes between them and the network stack): the receive ring is produced
// by the server and consumed by the kernel, the transmit ring the other way round. Indices are
// free-running byte counts (mod 2^32); a ring of RingSize bytes holds head-tail bytes. relay_ring
// attaches a ring pair to an object and returns the address of its header:
//
//	+0  u32 rx head    server: bytes put into the receive ring
//	+4  u32 rx tail    kernel: bytes read from it
//	+8  u32 tx head    kernel: bytes put into the transmit ring
//	+12 u32 tx tail    server: bytes taken from it
//	+16 u32 server's state: RingEOF, RingErr (errno at +20), RingRxWait, RingConnected
//	+20 u32 errno
//	+24 u32 kernel's state: RingShutWR, RingShutRD, RingClosed
//	+28 u32 reserved
//	+32 u64 rx pages[RingPages], then tx pages[RingPages]: the rings' frames
const (
	RingHeaderSize = 32 + 16*RingPages
	RingPages      = 4
	RingSize       = RingPages * 4096

	RingRxHead  = 0
	RingRxTail  = 4
	RingTxHead  = 8
	RingTxTail  = 12
	RingState   = 16
	RingErrno   = 20
	RingKState  = 24
	RingRxPages = 32
	RingTxPages = 32 + 8*RingPages

	RingEOF       = 1 // the peer closed: after the bytes in the ring, end of file
	RingErr       = 2 // the connection failed: after the bytes in the ring, the error
	RingRxWait    = 4 // the server stopped filling the receive ring because it was full
	RingConnected = 8 // the connection is established: writes may start

	RingShutWR = 1 // shutdown(SHUT_WR): after the bytes in the transmit ring
	RingShutRD = 2 // shutdown(SHUT_RD)
	RingClosed = 4 // no descriptor is left: send what is in the ring, then close
)

// How a completion applies its result.
const (
	// HowResult returns result to the caller as is.
	HowResult = 0
	// HowInstall makes the request's spare object a new descriptor of the caller and returns
	// the descriptor's number (result is ignored). When no descriptor is free the caller gets
	// EMFILE and the server gets OpRelease for the object.
	HowInstall = 1
	// HowInstallFile is HowInstall for an object that is not pollable (a regular file or a
	// directory): epoll_ctl refuses it with EPERM, as Linux does.
	HowInstallFile = 2
)

// GSIEventChannel, as relay_irq's gsi, routes Xen event channel addr (a port of this domain) to
// the line instead of an I/O APIC input or an MSI: the kernel's upcall handler marks the line
// pending whenever the port fires (runtime/platform/xen). The ack must be AckNone.
const GSIEventChannel = -2

// Interrupt acknowledgement kinds for SysIRQ: what the kernel does, in interrupt context, to
// quiet a level-triggered device before it wakes the server.
const (
	AckNone       = 0 // edge-triggered or message-signalled: nothing to do
	AckVirtioMMIO = 1 // virtio-mmio: read InterruptStatus (addr+0x60), write it to InterruptACK (addr+0x64)
	AckPCIISR     = 2 // virtio-pci INTx: read the ISR status byte at addr (reading clears it)
)

// Directory arguments of forwarded path calls (openat, newfstatat, mkdirat, renameat...). The
// kernel replaces each dirfd argument with the server object of the descriptor (>= 0) or with
// one of these, so that the server, which does not know the descriptor table, can resolve a
// relative path. An absolute path ignores its directory argument, as on Linux.
const (
	DirCWD    = -100           // AT_FDCWD: the current working directory
	DirBadFD  = -errno.EBADF   // not an open descriptor: a relative path gets EBADF
	DirNotDir = -errno.ENOTDIR // a descriptor of the kernel's own (console, eventfd, epoll): ENOTDIR
)

// ObjExitSync is the object argument of relay_notify by which the file service tells the kernel
// that it holds volumes to sync before the machine powers off (events 1) or none (0): the kernel
// then forwards exit_group to it first (runtime/sys/exit.go).
const ObjExitSync = -2

// MaxObjects bounds the object numbers (0 <= obj < MaxObjects).
const MaxObjects = 1024

// SockaddrMax is the largest socket address relay_addr takes (struct sockaddr_in6).
const SockaddrMax = 28

// MaxIRQLines is the number of interrupt lines the server can be told about (bits of HdrIRQs).
const MaxIRQLines = 64
