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

// Layer creates sockets on a stack and registers them with a relay server.
type Layer struct {
	stack *stack.Stack
	srv   Registry
	// notify reports events on a socket's object to the kernel (relay.Notify).
	notify func(obj int32, events uint32)
}

// Registry is where sockets get their object numbers: the relay server.
type Registry interface {
	Register(relay.Object) int32
	Forget(obj int32)
}

// New returns a layer for stack s whose sockets register with srv.
func New(s *stack.Stack, srv Registry) *Layer {
	return &Layer{stack: s, srv: srv, notify: relay.Notify}
}

// Socket flags of socket(2)'s type argument.
const (
	sockNonblock = syscall.SOCK_NONBLOCK
	sockCloexec  = syscall.SOCK_CLOEXEC
	ipprotoMPTCP = 262
)

// events are the epoll events a socket reports.
const events = waiter.ReadableEvents | waiter.WritableEvents | waiter.EventErr | waiter.EventHUp | waiter.EventRdHUp

// Socket serves socket(2) and socketpair(2).
func (l *Layer) Socket(r *relay.Request) {
	if r.Nr == syscall.SYS_SOCKETPAIR {
		r.Reply(-errno.EOPNOTSUPP, 0) // only AF_UNIX has pairs, and there is no AF_UNIX
		return
	}
	family, typ, proto := int(r.Args[0]), int(r.Args[1]), int(r.Args[2])
	flags := typ & (sockNonblock | sockCloexec)
	typ &^= sockNonblock | sockCloexec
	var netProto tcpip.NetworkProtocolNumber
	switch family {
	case syscall.AF_INET:
		netProto = ipv4.ProtocolNumber
	case syscall.AF_INET6:
		netProto = ipv6.ProtocolNumber
	default:
		r.Reply(-errno.EAFNOSUPPORT, 0)
		return
	}
	var transProto tcpip.TransportProtocolNumber
	switch {
	case typ == syscall.SOCK_STREAM && (proto == 0 || proto == syscall.IPPROTO_TCP):
		transProto, proto = tcp.ProtocolNumber, syscall.IPPROTO_TCP
	case typ == syscall.SOCK_DGRAM && (proto == 0 || proto == syscall.IPPROTO_UDP):
		transProto, proto = udp.ProtocolNumber, syscall.IPPROTO_UDP
	case typ == syscall.SOCK_STREAM || typ == syscall.SOCK_DGRAM:
		// IPPROTO_MPTCP among them: Go then falls back to TCP.
		r.Reply(-errno.EPROTONOSUPPORT, 0)
		return
	case typ == syscall.SOCK_RAW:
		r.Reply(-errno.EPERM, 0)
		return
	default:
		r.Reply(-errno.ESOCKTNOSUPPORT, 0)
		return
	}
	s := &Socket{l: l, family: family, typ: typ, proto: proto, wq: new(waiter.Queue)}
	ep, err := l.stack.NewEndpoint(transProto, netProto, s.wq)
	if err != nil {
		r.Reply(-errnoOf(err), 0)
		return
	}
	s.ep = ep
	if !s.install(r, uint32(flags)) {
		ep.Close()
	}
}

// install registers s, arms its event callback and replies with a new descriptor.
func (s *Socket) install(r *relay.Request, sockFlags uint32) bool {
	s.obj = s.l.srv.Register(s)
	if s.obj < 0 {
		r.Reply(-errno.ENFILE, 0)
		return false
	}
	s.entry.Init(s, events)
	s.wq.EventRegister(&s.entry)
	var fdFlags uint32 = syscall.O_RDWR
	if sockFlags&sockNonblock != 0 {
		fdFlags |= syscall.O_NONBLOCK
	}
	if sockFlags&sockCloexec != 0 {
		fdFlags |= syscall.O_CLOEXEC
	}
	r.ReplyInstall(s.obj, fdFlags, true, s.ready())
	return true
}

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
}

// NotifyEvent implements waiter.EventListener: the endpoint's state changed.
func (s *Socket) NotifyEvent(m waiter.EventMask) {
	s.l.notify(s.obj, uint32(m&events))
}

func (s *Socket) ready() uint32 { return uint32(s.ep.Readiness(events)) }

// Release implements relay.Object: the last descriptor is closed.
func (s *Socket) Release() {
	s.wq.EventUnregister(&s.entry)
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
	case syscall.SYS_LISTEN:
		res = s.listen(int(int32(r.Args[1])))
	case syscall.SYS_GETSOCKNAME:
		res = s.name(false, uintptr(r.Args[1]), uintptr(r.Args[2]))
	case syscall.SYS_GETPEERNAME:
		res = s.name(true, uintptr(r.Args[1]), uintptr(r.Args[2]))
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
	ns := &Socket{l: s.l, family: s.family, typ: s.typ, proto: s.proto, ep: ep, wq: wq}
	if !ns.install(r, flags) {
		ep.Close()
	}
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
		r.Reply(-errnoOf(err), s.ready())
		return
	}
	if s.connecting && !r.Nonblocking() {
		// A blocking connect woken by readiness: report how the handshake ended.
		if s.ep.Readiness(waiter.WritableEvents|waiter.EventErr|waiter.EventHUp) == 0 {
			r.ReplyWouldBlock(s.ready(), uint32(waiter.WritableEvents|waiter.EventErr|waiter.EventHUp))
			return
		}
		s.connecting = false
		r.Reply(-errnoOf(s.ep.LastError()), s.ready())
		return
	}
	err := s.ep.Connect(fa)
	switch err.(type) {
	case *tcpip.ErrConnectStarted:
		s.connecting = true
		if r.Nonblocking() {
			r.Reply(-errno.EINPROGRESS, s.ready())
			return
		}
		r.ReplyWouldBlock(s.ready(), uint32(waiter.WritableEvents|waiter.EventErr|waiter.EventHUp))
		return
	case *tcpip.ErrAlreadyConnecting:
		r.Reply(-errno.EALREADY, s.ready())
		return
	case nil:
		s.connecting = false
	}
	r.Reply(-errnoOf(err), s.ready())
}

func (s *Socket) name(peer bool, addr, n uintptr) int64 {
	var fa tcpip.FullAddress
	var err tcpip.Error
	if peer {
		fa, err = s.ep.GetRemoteAddress()
	} else {
		fa, err = s.ep.GetLocalAddress()
	}
	if err != nil {
		return -errnoOf(err)
	}
	return writeAddr(addr, n, encodeAddr(fa, s.family))
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
