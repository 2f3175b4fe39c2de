// Package socket implements Linux sockets on gVisor's netstack, for the system calls that the
// kernel forwards to the relay server (services/relay): socket, bind, listen, accept4, connect,
// getsockname, getpeername, setsockopt, getsockopt, shutdown, read, write, readv, writev,
// sendto, recvfrom, sendmsg, recvmsg, ioctl, fstat and close, for AF_INET and AF_INET6 stream
// (TCP) and datagram (UDP) sockets, with Linux's error numbers and non-blocking semantics.
//
// Every call runs on the relay server's goroutine, one at a time, and never blocks: netstack
// endpoints answer at once (tcpip.ErrWouldBlock becomes EAGAIN). Readiness for epoll goes back
// to the kernel with each reply and, as it changes, through the endpoint's waiter queue
// (relay.Notify), so that the Go netpoller parks and wakes goroutines as on Linux.
//
// Reference: Linux socket(2), bind(2), listen(2), accept(2), connect(2), getsockopt(2),
// send(2), recv(2), shutdown(2), socket(7), ip(7), ipv6(7), tcp(7), udp(7); gVisor's
// pkg/sentry/socket/netstack (the same mapping in a larger kernel) for netstack's side.
package socket

import (
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/services/relay"
)

// Layer creates sockets on a stack for a relay server.
type Layer struct {
	stack *stack.Stack
	k     Kernel
	rings rings
}

// Kernel is what sockets tell the kernel: their objects, events and addresses. *relay.Server is
// one.
type Kernel interface {
	Put(obj int32, o relay.Object)
	Notify(obj int32, events uint32)
	SetAddrs(obj int32, local, remote []byte)
}

// New returns a layer for stack s whose sockets are served by k.
func New(s *stack.Stack, k Kernel) *Layer {
	return &Layer{stack: s, k: k, rings: kernelRings{}}
}

// Socket flags of socket(2)'s type argument.
const (
	sockNonblock = syscall.SOCK_NONBLOCK
	sockCloexec  = syscall.SOCK_CLOEXEC
	ipprotoMPTCP = 262
)

// events are the epoll events a socket reports.
const events = waiter.ReadableEvents | waiter.WritableEvents | waiter.EventErr | waiter.EventHUp | waiter.EventRdHUp

// Create makes the socket that socket(2) asked for: the kernel has checked the arguments (an
// AF_INET or AF_INET6 stream or datagram socket) and given the descriptor, object r.Obj; no
// thread waits for this request. A socket that cannot be made answers every call with the
// error.
func (l *Layer) Create(r *relay.Request) {
	family, typ := int(r.Args[0]), int(r.Args[1])&0xf
	netProto := ipv4.ProtocolNumber
	if family == syscall.AF_INET6 {
		netProto = ipv6.ProtocolNumber
	}
	transProto, proto := tcp.ProtocolNumber, syscall.IPPROTO_TCP
	if typ == syscall.SOCK_DGRAM {
		transProto, proto = udp.ProtocolNumber, syscall.IPPROTO_UDP
	}
	s := &Socket{l: l, obj: r.Obj, family: family, typ: typ, proto: proto, wq: new(waiter.Queue)}
	ep, err := l.stack.NewEndpoint(transProto, netProto, s.wq)
	if err != nil {
		l.k.Put(r.Obj, &failed{errnoOf(err)})
		l.k.Notify(r.Obj, uint32(waiter.EventErr))
		return
	}
	s.ep = ep
	s.start()
	l.k.Notify(r.Obj, s.ready())
}

// start puts the socket in the kernel's objects and arms its event callback.
func (s *Socket) start() {
	s.l.k.Put(s.obj, s)
	s.entry.Init(s, events)
	s.wq.EventRegister(&s.entry)
}

// failed is a socket netstack could not make: every call gets its error.
type failed struct{ errno int64 }

func (f *failed) Serve(r *relay.Request) { r.Reply(-f.errno, uint32(waiter.EventErr)) }
func (f *failed) Release()               {}

// A Socket is one socket: a netstack endpoint served as a relay object.
type Socket struct {
	l      *Layer
	family int // AF_INET, AF_INET6
	typ    int // SOCK_STREAM, SOCK_DGRAM
	proto  int // IPPROTO_TCP, IPPROTO_UDP
	ep     tcpip.Endpoint
	wq     *waiter.Queue
	entry  waiter.Entry
	obj    int32
	// connecting is set between a connect that started a TCP handshake and the call that
	// reports its end, for blocking sockets and for EALREADY.
	connecting bool
	// bound is set once the kernel knows a local address (a send binds a datagram socket).
	bound bool

	// A connected stream socket's ring pair (stream.go), and its state.
	ring           *ringHdr
	closing        bool // released: closeRing sends the rest and closes
	shutRD, shutWR bool // the endpoint has been shut down that way
	soErrTaken     bool // getsockopt(SO_ERROR) has reported the ring's error
	scratch        [4][]byte
}

// NotifyEvent implements waiter.EventListener: the endpoint's state changed. A socket with rings
// has the server pump them (the kernel computes its readiness from the rings); the others tell
// the kernel the events.
func (s *Socket) NotifyEvent(m waiter.EventMask) {
	if s.ring != nil {
		s.l.rings.kick(s.obj)
		return
	}
	s.l.k.Notify(s.obj, uint32(m&events))
}

// Event implements relay.Eventer: the kernel saw a change in the rings (OpEvent).
func (s *Socket) Event() { s.pump() }

// publish tells the kernel the socket's addresses, after a call that may have changed them.
func (s *Socket) publish() {
	var local, remote []byte
	if a, err := s.ep.GetLocalAddress(); err == nil && (a.Port != 0 || a.Addr.Len() > 0) {
		local = encodeAddr(a, s.family)
		s.bound = a.Port != 0
	}
	if a, err := s.ep.GetRemoteAddress(); err == nil {
		remote = encodeAddr(a, s.family)
	}
	s.l.k.SetAddrs(s.obj, local, remote)
}

func (s *Socket) ready() uint32 { return uint32(s.ep.Readiness(events)) }

// Release implements relay.Object: the last descriptor is closed. A connected stream socket
// still sends what its transmit ring holds, then closes, as Linux does after close(2).
func (s *Socket) Release() {
	s.wq.EventUnregister(&s.entry)
	if s.ring != nil {
		s.closing = true
		go s.closeRing()
		return
	}
	s.ep.Close()
}

// Serve implements relay.Object.
func (s *Socket) Serve(r *relay.Request) {
	var res int64
	switch r.Nr {
	case syscall.SYS_READ:
		s.recv(r, []iovec{{r.Args[1], r.Args[2]}}, 0, 0, 0)
		return
	case syscall.SYS_READV:
		s.recvv(r, r.Args[1], r.Args[2], 0, 0, 0)
		return
	case syscall.SYS_RECVFROM:
		s.recv(r, []iovec{{r.Args[1], r.Args[2]}}, int(r.Args[3]), uintptr(r.Args[4]), uintptr(r.Args[5]))
		return
	case syscall.SYS_RECVMSG:
		s.recvmsg(r)
		return
	case syscall.SYS_WRITE:
		s.send(r, []iovec{{r.Args[1], r.Args[2]}}, 0, 0, 0)
		return
	case syscall.SYS_WRITEV:
		s.sendv(r, r.Args[1], r.Args[2], 0, 0, 0)
		return
	case syscall.SYS_SENDTO:
		s.send(r, []iovec{{r.Args[1], r.Args[2]}}, int(r.Args[3]), uintptr(r.Args[4]), uintptr(r.Args[5]))
		return
	case syscall.SYS_SENDMSG:
		s.sendmsg(r)
		return
	case syscall.SYS_ACCEPT, syscall.SYS_ACCEPT4:
		s.accept(r)
		return
	case syscall.SYS_CONNECT:
		s.connect(r)
		return
	case syscall.SYS_BIND:
		res = s.bind(uintptr(r.Args[1]), uintptr(r.Args[2]))
		s.publish()
	case syscall.SYS_LISTEN:
		res = s.listen(int(int32(r.Args[1])))
		s.publish()
	case syscall.SYS_SETSOCKOPT:
		res = s.setsockopt(int(r.Args[1]), int(r.Args[2]), uintptr(r.Args[3]), uintptr(r.Args[4]))
	case syscall.SYS_GETSOCKOPT:
		res = s.getsockopt(int(r.Args[1]), int(r.Args[2]), uintptr(r.Args[3]), uintptr(r.Args[4]))
	case syscall.SYS_SHUTDOWN:
		res = s.shutdown(int(r.Args[1]))
	case syscall.SYS_IOCTL:
		res = s.ioctl(uintptr(r.Args[1]), uintptr(r.Args[2]))
	case syscall.SYS_FSTAT, syscall.SYS_NEWFSTATAT:
		st := uintptr(r.Args[1])
		if r.Nr == syscall.SYS_NEWFSTATAT {
			st = uintptr(r.Args[2])
		}
		res = fstat(st)
	case syscall.SYS_PREAD64, syscall.SYS_PWRITE64, syscall.SYS_LSEEK:
		res = -errno.ESPIPE
	default:
		res = -errno.EOPNOTSUPP
	}
	r.Reply(res, s.ready())
}

func (s *Socket) bind(addr, n uintptr) int64 {
	fa, fam, e := parseAddr(addr, n, s.family)
	if e != 0 {
		return e
	}
	if fam == syscall.AF_UNSPEC {
		return -errno.EAFNOSUPPORT
	}
	return -errnoOf(s.ep.Bind(fa))
}

func (s *Socket) listen(backlog int) int64 {
	if s.typ != syscall.SOCK_STREAM {
		return -errno.EOPNOTSUPP
	}
	if backlog < 0 || backlog > 4096 {
		backlog = 4096
	}
	return -errnoOf(s.ep.Listen(backlog))
}

func (s *Socket) accept(r *relay.Request) {
	var flags uint32
	if r.Nr == syscall.SYS_ACCEPT4 {
		flags = uint32(r.Args[3])
		if flags&^(sockNonblock|sockCloexec) != 0 {
			r.Reply(-errno.EINVAL, s.ready())
			return
		}
	}
	if s.typ != syscall.SOCK_STREAM {
		r.Reply(-errno.EOPNOTSUPP, s.ready())
		return
	}
	if r.Spare < 0 {
		r.Reply(-errno.ENFILE, s.ready())
		return
	}
	var peer tcpip.FullAddress
	ep, wq, err := s.ep.Accept(&peer)
	if err != nil {
		if _, ok := err.(*tcpip.ErrWouldBlock); ok {
			r.ReplyWouldBlock(s.ready(), uint32(waiter.ReadableEvents))
			return
		}
		r.Reply(-errnoOf(err), s.ready())
		return
	}
	if e := writeAddr(uintptr(r.Args[1]), uintptr(r.Args[2]), encodeAddr(peer, s.family)); e != 0 {
		ep.Close()
		r.Reply(e, s.ready())
		return
	}
	ns := &Socket{l: s.l, obj: r.Spare, family: s.family, typ: s.typ, proto: s.proto, ep: ep, wq: wq}
	ns.start()
	ns.publish()
	ns.attachRing()
	ns.pump()
	var fdFlags uint32 = syscall.O_RDWR
	if flags&sockNonblock != 0 {
		fdFlags |= syscall.O_NONBLOCK
	}
	if flags&sockCloexec != 0 {
		fdFlags |= syscall.O_CLOEXEC
	}
	r.ReplyInstall(fdFlags, true, s.ready(), ns.ready())
}

func (s *Socket) connect(r *relay.Request) {
	fa, fam, e := parseAddr(uintptr(r.Args[1]), uintptr(r.Args[2]), s.family)
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	if fam == syscall.AF_UNSPEC {
		// Dissolve a datagram socket's association.
		err := s.ep.Disconnect()
		if _, ok := err.(*tcpip.ErrNotSupported); ok && s.typ == syscall.SOCK_STREAM {
			err = nil
		}
		s.publish()
		r.Reply(-errnoOf(err), s.ready())
		return
	}
	if s.connecting && !r.Nonblocking() {
		// A blocking connect woken by readiness: report how the handshake ended.
		if s.ep.Readiness(sendEvents) == 0 {
			r.ReplyWouldBlock(s.ready(), uint32(sendEvents))
			return
		}
		s.connecting = false
		err := s.ep.LastError()
		s.publish()
		r.Reply(-errnoOf(err), s.ready())
		return
	}
	err := s.ep.Connect(fa)
	switch err.(type) {
	case *tcpip.ErrConnectStarted:
		// The local address is chosen; the peer is known once the handshake ends.
		s.connecting = true
		s.publish()
		s.attachRing()
		if r.Nonblocking() {
			r.Reply(-errno.EINPROGRESS, s.ready())
			return
		}
		r.ReplyWouldBlock(s.ready(), uint32(sendEvents))
		return
	case *tcpip.ErrAlreadyConnecting:
		r.Reply(-errno.EALREADY, s.ready())
		return
	case nil:
		s.connecting = false
		s.attachRing()
		s.pump()
	}
	s.publish()
	r.Reply(-errnoOf(err), s.ready())
}

func (s *Socket) shutdown(how int) int64 {
	var f tcpip.ShutdownFlags
	switch how {
	case syscall.SHUT_RD:
		f = tcpip.ShutdownRead
	case syscall.SHUT_WR:
		f = tcpip.ShutdownWrite
	case syscall.SHUT_RDWR:
		f = tcpip.ShutdownRead | tcpip.ShutdownWrite
	default:
		return -errno.EINVAL
	}
	return -errnoOf(s.ep.Shutdown(f))
}

// ioctl requests (include/uapi/asm-generic/ioctls.h, linux/sockios.h).
const (
	siocInq  = 0x541B // FIONREAD
	siocOutq = 0x5411 // TIOCOUTQ
)

// ioctl serves FIONREAD (SIOCINQ) and SIOCOUTQ; FIONBIO never gets here (the kernel keeps the
// flags).
func (s *Socket) ioctl(req, arg uintptr) int64 {
	var opt tcpip.SockOptInt
	switch req {
	case siocInq:
		opt = tcpip.ReceiveQueueSizeOption
	case siocOutq:
		opt = tcpip.SendQueueSizeOption
	default:
		return -errno.ENOTTY
	}
	v, err := s.ep.GetSockOptInt(opt)
	if err != nil {
		return -errnoOf(err)
	}
	return putInt(arg, v)
}

// fstat fills struct stat for a socket: mode S_IFSOCK|0777, as Linux's sockfs does.
func fstat(st uintptr) int64 {
	b, ok := relay.UserBytes(st, 144)
	if !ok {
		return -errno.EFAULT
	}
	clear(b)
	le.PutUint64(b[16:], 1)                      // st_nlink
	le.PutUint32(b[24:], syscall.S_IFSOCK|0o777) // st_mode
	le.PutUint64(b[56:], 4096)                   // st_blksize
	return 0
}
