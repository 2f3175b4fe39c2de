package socket

import (
	"bytes"
	"encoding/binary"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/services/relay"
)

// loopbackStack is a stack with a loopback interface holding 127.0.0.1/8 (services/netstack
// builds the same in a kernel).
func loopbackStack(t *testing.T) *stack.Stack {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
		HandleLocal:        true,
	})
	if err := s.CreateNIC(1, loopback.New()); err != nil {
		t.Fatal(err)
	}
	a := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(localhost), PrefixLen: 8}}
	if err := s.AddProtocolAddress(1, a, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: a.AddressWithPrefix.Subnet(), NIC: 1}})
	return s
}

// kernel plays the kernel's part for the socket layer on the host: it gives object numbers, keeps
// the objects, runs calls on them, records notifications, and answers getsockname and getpeername
// from the addresses the layer reports, as runtime/fd does.
type kernel struct {
	t     *testing.T
	s     *stack.Stack
	l     *Layer
	mu    sync.Mutex
	objs  map[int32]relay.Object
	next  int32
	notes map[int32]uint32 // events notified per object
	addrs map[int32][2][]byte
	fam   map[int32]int
}

func newKernel(t *testing.T) *kernel {
	s := loopbackStack(t)
	k := &kernel{t: t, s: s, objs: map[int32]relay.Object{}, notes: map[int32]uint32{}, addrs: map[int32][2][]byte{}, fam: map[int32]int{}}
	k.l = New(s, k)
	t.Cleanup(s.Close)
	return k
}

func (k *kernel) Put(obj int32, o relay.Object) {
	k.mu.Lock()
	k.objs[obj] = o
	k.mu.Unlock()
}

func (k *kernel) Notify(obj int32, ev uint32) {
	k.mu.Lock()
	k.notes[obj] |= ev
	k.mu.Unlock()
}

func (k *kernel) SetAddrs(obj int32, local, remote []byte) {
	k.mu.Lock()
	k.addrs[obj] = [2][]byte{append([]byte(nil), local...), append([]byte(nil), remote...)}
	k.mu.Unlock()
}

func (k *kernel) notified(obj int32) uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.notes[obj]
}

// name answers getsockname (peer false) or getpeername for obj, as the kernel does.
func (k *kernel) name(obj int32, peer bool) ([]byte, int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	a := k.addrs[obj]
	switch {
	case peer && len(a[1]) == 0:
		return nil, -errno.ENOTCONN
	case peer:
		return a[1], 0
	case len(a[0]) > 0:
		return a[0], 0
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, uint16(k.fam[obj]))
	return b, 0
}

func (k *kernel) newObj() int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.next++
	return k.next
}

// call runs system call nr on obj and returns the reply. getsockname and getpeername are the
// kernel's (their result is the address's length); accept gets a spare object.
func (k *kernel) call(nr int, obj int32, flags uint32, args ...uint64) relay.Completion {
	k.t.Helper()
	var a [6]uint64
	copy(a[:], args)
	if nr == syscall.SYS_GETSOCKNAME || nr == syscall.SYS_GETPEERNAME {
		b, e := k.name(obj, nr == syscall.SYS_GETPEERNAME)
		if e != 0 {
			return relay.Completion{Result: e}
		}
		if dst, ok := relay.UserBytes(uintptr(a[1]), uintptr(len(b))); ok {
			copy(dst, b)
		}
		return relay.Completion{Result: int64(len(b))}
	}
	spare := int32(-1)
	if nr == syscall.SYS_ACCEPT || nr == syscall.SYS_ACCEPT4 {
		spare = k.newObj()
	}
	var got *relay.Completion
	r := relay.NewRequest(nr, obj, spare, flags, a, func(c relay.Completion) { got = &c })
	k.mu.Lock()
	o := k.objs[obj]
	k.mu.Unlock()
	o.Serve(r)
	if got == nil {
		k.t.Fatalf("call %d on %d: no reply", nr, obj)
	}
	if got.How == wire.HowInstall && got.Result != int64(spare) {
		k.t.Fatalf("install of object %d, want the spare %d", got.Result, spare)
	}
	return *got
}

// socket makes a socket, as socket(2) does: a new object, created by a request with no caller.
func (k *kernel) socket(family, typ int) int32 {
	k.t.Helper()
	obj := k.newObj()
	k.fam[obj] = family
	k.l.Create(relay.NewRequest(syscall.SYS_SOCKET, obj, -1, 0, [6]uint64{uint64(family), uint64(typ | syscall.SOCK_NONBLOCK)}, nil))
	k.mu.Lock()
	_, ok := k.objs[obj].(*Socket)
	k.mu.Unlock()
	if !ok {
		k.t.Fatalf("socket(%d, %d) made no socket", family, typ)
	}
	return obj
}

// until repeats f until it returns true, or fails after 5 s (netstack works in goroutines).
func (k *kernel) until(what string, f func() bool) {
	k.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !f(); {
		if time.Now().After(deadline) {
			k.t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func addr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

func sockaddr4(a [4]byte, port int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, syscall.AF_INET)
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	copy(b[4:], a[:])
	return b
}

var localhost = [4]byte{127, 0, 0, 1}

const nonblock = syscall.O_RDWR | syscall.O_NONBLOCK

// TestTCP goes through a TCP connection's life on the loopback interface, as Go's net package
// drives it: listen, a non-blocking connect, accept, data both ways, half close, end of file.
func TestTCP(t *testing.T) {
	k := newKernel(t)
	ln := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	one := []byte{1, 0, 0, 0}
	if c := k.call(syscall.SYS_SETSOCKOPT, ln, nonblock, ln64(ln), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, addr(one), 4); c.Result != 0 {
		t.Fatalf("SO_REUSEADDR: %d", c.Result)
	}
	sa := sockaddr4(localhost, 0)
	if c := k.call(syscall.SYS_BIND, ln, nonblock, ln64(ln), addr(sa), 16); c.Result != 0 {
		t.Fatalf("bind: %d", c.Result)
	}
	if c := k.call(syscall.SYS_LISTEN, ln, nonblock, ln64(ln), 128); c.Result != 0 {
		t.Fatalf("listen: %d", c.Result)
	}
	name := make([]byte, 128)
	nlen := []byte{128, 0, 0, 0}
	if c := k.call(syscall.SYS_GETSOCKNAME, ln, nonblock, ln64(ln), addr(name), addr(nlen)); c.Result != 16 {
		t.Fatalf("getsockname: %d", c.Result)
	}
	port := int(binary.BigEndian.Uint16(name[2:]))
	if port == 0 || !bytes.Equal(name[4:8], localhost[:]) {
		t.Fatalf("bound to %v", name[:16])
	}
	// accept before anyone connects: EAGAIN, waiting for EPOLLIN on a blocking socket.
	if c := k.call(syscall.SYS_ACCEPT4, ln, nonblock, ln64(ln), 0, 0, syscall.SOCK_NONBLOCK); c.Result != -errno.EAGAIN || c.Wait&syscall.EPOLLIN == 0 {
		t.Fatalf("early accept: %+v", c)
	}

	cl := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	to := sockaddr4(localhost, port)
	if c := k.call(syscall.SYS_CONNECT, cl, nonblock, ln64(cl), addr(to), 16); c.Result != -errno.EINPROGRESS && c.Result != 0 {
		t.Fatalf("connect: %d", c.Result)
	}
	k.until("listener notified readable", func() bool { return k.notified(ln)&syscall.EPOLLIN != 0 })
	k.until("client notified writable", func() bool { return k.notified(cl)&syscall.EPOLLOUT != 0 })
	soerr := make([]byte, 4)
	l4 := []byte{4, 0, 0, 0}
	if c := k.call(syscall.SYS_GETSOCKOPT, cl, nonblock, ln64(cl), syscall.SOL_SOCKET, syscall.SO_ERROR, addr(soerr), addr(l4)); c.Result != 0 || binary.LittleEndian.Uint32(soerr) != 0 {
		t.Fatalf("SO_ERROR: %d %v", c.Result, soerr)
	}

	peer := make([]byte, 16)
	plen := []byte{16, 0, 0, 0}
	var srv int32
	k.until("accept", func() bool {
		c := k.call(syscall.SYS_ACCEPT4, ln, nonblock, ln64(ln), addr(peer), addr(plen), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if c.Result == -errno.EAGAIN {
			return false
		}
		if c.How != wire.HowInstall || c.Result < 0 || c.FDFlags != syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC {
			t.Fatalf("accept: %+v", c)
		}
		srv = int32(c.Result)
		return true
	})
	// The kernel knows both ends of both sockets.
	if b, e := k.name(srv, true); e != 0 || !bytes.Equal(b, peer) {
		t.Errorf("getpeername of the accepted socket: %v %d, want %v", b, e, peer)
	}
	if b, e := k.name(cl, false); e != 0 || !bytes.Equal(b, peer) {
		t.Errorf("getsockname of the client: %v %d, want %v", b, e, peer)
	}
	if b, e := k.name(cl, true); e != 0 || binary.BigEndian.Uint16(b[2:]) != uint16(port) {
		t.Errorf("getpeername of the client: %v %d, want port %d", b, e, port)
	}
	if binary.LittleEndian.Uint16(peer) != syscall.AF_INET || !bytes.Equal(peer[4:8], localhost[:]) {
		t.Errorf("peer address %v", peer)
	}

	msg := bytes.Repeat([]byte("unikernel "), 1000)
	if c := k.call(syscall.SYS_WRITE, cl, nonblock, ln64(cl), addr(msg), uint64(len(msg))); c.Result != int64(len(msg)) {
		t.Fatalf("write: %d", c.Result)
	}
	if c := k.call(syscall.SYS_SHUTDOWN, cl, nonblock, ln64(cl), syscall.SHUT_WR); c.Result != 0 {
		t.Fatalf("shutdown: %d", c.Result)
	}
	var got []byte
	buf := make([]byte, 3000)
	eof := false
	k.until("reading everything and the end", func() bool {
		c := k.call(syscall.SYS_READ, srv, nonblock, ln64(srv), addr(buf), uint64(len(buf)))
		switch {
		case c.Result > 0:
			got = append(got, buf[:c.Result]...)
		case c.Result == 0:
			eof = true
		case c.Result != -errno.EAGAIN:
			t.Fatalf("read: %d", c.Result)
		case c.Ready&syscall.EPOLLIN != 0:
			t.Fatalf("read said EAGAIN but readiness %#x holds EPOLLIN", c.Ready)
		}
		return eof
	})
	if !bytes.Equal(got, msg) {
		t.Errorf("read %d bytes, want %d", len(got), len(msg))
	}

	// readv into two buffers, after the server writes back.
	reply := []byte("hello, client")
	if c := k.call(syscall.SYS_WRITE, srv, nonblock, ln64(srv), addr(reply), uint64(len(reply))); c.Result != int64(len(reply)) {
		t.Fatalf("write back: %d", c.Result)
	}
	b1, b2 := make([]byte, 5), make([]byte, 64)
	iov := make([]byte, 32)
	binary.LittleEndian.PutUint64(iov, addr(b1))
	binary.LittleEndian.PutUint64(iov[8:], 5)
	binary.LittleEndian.PutUint64(iov[16:], addr(b2))
	binary.LittleEndian.PutUint64(iov[24:], 64)
	var n int64
	k.until("readv", func() bool {
		n = k.call(syscall.SYS_READV, cl, nonblock, ln64(cl), addr(iov), 2).Result
		return n != -errno.EAGAIN
	})
	if n != int64(len(reply)) || string(b1)+string(b2[:n-5]) != string(reply) {
		t.Errorf("readv: %d %q %q", n, b1, b2[:max(n-5, 0)])
	}

	// Release closes the endpoints; the client then sees the connection end.
	k.objs[srv].Release()
	k.until("end of file after the peer closed", func() bool {
		return k.call(syscall.SYS_READ, cl, nonblock, ln64(cl), addr(buf), 10).Result == 0
	})
	if c := k.call(syscall.SYS_LSEEK, cl, nonblock, ln64(cl), 0, 0); c.Result != -errno.ESPIPE {
		t.Errorf("lseek on a socket: %d", c.Result)
	}
}

func ln64(obj int32) uint64 { return uint64(obj) } // the descriptor argument (unused by the layer)

// TestSocketErrors checks the errors Linux gives for sockets and addresses this kernel has not.
func TestSocketErrors(t *testing.T) {
	k := newKernel(t)
	s := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	sa := sockaddr4(localhost, 0)
	short := sa[:8]
	if r := k.call(syscall.SYS_BIND, s, nonblock, 0, addr(short), 8); r.Result != -errno.EINVAL {
		t.Errorf("bind with a short address: %d", r.Result)
	}
	six := make([]byte, 28)
	binary.LittleEndian.PutUint16(six, syscall.AF_INET6)
	if r := k.call(syscall.SYS_BIND, s, nonblock, 0, addr(six), 28); r.Result != -errno.EAFNOSUPPORT {
		t.Errorf("bind of an IPv4 socket to an IPv6 address: %d", r.Result)
	}
	if r := k.call(syscall.SYS_BIND, s, nonblock, 0, 0, 16); r.Result != -errno.EFAULT {
		t.Errorf("bind with a null address: %d", r.Result)
	}
	other := sockaddr4([4]byte{10, 9, 9, 9}, 80)
	if r := k.call(syscall.SYS_BIND, s, nonblock, 0, addr(other), 16); r.Result != -errno.EADDRNOTAVAIL {
		t.Errorf("bind to an address the machine has not: %d", r.Result)
	}
	if r := k.call(syscall.SYS_BIND, s, nonblock, 0, addr(sa), 16); r.Result != 0 {
		t.Fatalf("bind: %d", r.Result)
	}
	name := make([]byte, 16)
	nlen := []byte{16, 0, 0, 0}
	k.call(syscall.SYS_GETSOCKNAME, s, nonblock, 0, addr(name), addr(nlen))
	k.call(syscall.SYS_LISTEN, s, nonblock, 0, 10)
	s2 := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	if r := k.call(syscall.SYS_BIND, s2, nonblock, 0, addr(name), 16); r.Result != -errno.EADDRINUSE {
		t.Errorf("bind to a port in use: %d", r.Result)
	}
	if r := k.call(syscall.SYS_GETPEERNAME, s, nonblock, 0, addr(name), addr(nlen)); r.Result != -errno.ENOTCONN {
		t.Errorf("getpeername of a listener: %d", r.Result)
	}
	if b, _ := k.name(s2, false); binary.LittleEndian.Uint16(b) != syscall.AF_INET || binary.BigEndian.Uint16(b[2:]) != 0 {
		t.Errorf("getsockname of an unbound socket: %v", b)
	}
	val := make([]byte, 4)
	vlen := []byte{4, 0, 0, 0}
	if r := k.call(syscall.SYS_GETSOCKOPT, s, nonblock, 0, syscall.SOL_SOCKET, 12345, addr(val), addr(vlen)); r.Result != -errno.ENOPROTOOPT {
		t.Errorf("unknown option: %d", r.Result)
	}
	if r := k.call(syscall.SYS_SETSOCKOPT, s, nonblock, 0, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, addr(val), 2); r.Result != -errno.EINVAL {
		t.Errorf("option with a short value: %d", r.Result)
	}
	if r := k.call(syscall.SYS_GETSOCKOPT, s, nonblock, 0, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN, addr(val), addr(vlen)); r.Result != 0 || val[0] != 1 {
		t.Errorf("SO_ACCEPTCONN of a listener: %d %v", r.Result, val)
	}

	// A connection refused shows in SO_ERROR once the connect ends.
	c := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	closed := sockaddr4(localhost, 1)
	if r := k.call(syscall.SYS_CONNECT, c, nonblock, 0, addr(closed), 16); r.Result != -errno.EINPROGRESS {
		t.Errorf("connect: %d, want EINPROGRESS", r.Result)
	}
	k.until("SO_ERROR says the connection was refused", func() bool {
		r := k.call(syscall.SYS_GETSOCKOPT, c, nonblock, 0, syscall.SOL_SOCKET, syscall.SO_ERROR, addr(val), addr(vlen))
		if r.Result != 0 {
			t.Fatalf("getsockopt SO_ERROR: %d", r.Result)
		}
		switch e := int(binary.LittleEndian.Uint32(val)); e {
		case 0:
			return false
		case errno.ECONNREFUSED:
			return true
		default:
			t.Fatalf("SO_ERROR %d, want ECONNREFUSED", e)
		}
		return false
	})
	if _, e := k.name(c, true); e != -errno.ENOTCONN {
		t.Errorf("getpeername after a refused connect: %d, want ENOTCONN", e)
	}
}

// TestUDP sends datagrams with sendto and sendmsg and receives them with recvfrom and recvmsg,
// with the sender's address and truncation.
func TestUDP(t *testing.T) {
	k := newKernel(t)
	a, b := k.socket(syscall.AF_INET, syscall.SOCK_DGRAM), k.socket(syscall.AF_INET, syscall.SOCK_DGRAM)
	sa := sockaddr4(localhost, 0)
	for _, s := range []int32{a, b} {
		if r := k.call(syscall.SYS_BIND, s, nonblock, 0, addr(sa), 16); r.Result != 0 {
			t.Fatalf("bind: %d", r.Result)
		}
	}
	nameB := make([]byte, 16)
	l := []byte{16, 0, 0, 0}
	k.call(syscall.SYS_GETSOCKNAME, b, nonblock, 0, addr(nameB), addr(l))
	msg := []byte("datagram one")
	if r := k.call(syscall.SYS_SENDTO, a, nonblock, 0, addr(msg), uint64(len(msg)), 0, addr(nameB), 16); r.Result != int64(len(msg)) {
		t.Fatalf("sendto: %d", r.Result)
	}
	buf := make([]byte, 100)
	from := make([]byte, 16)
	fl := []byte{16, 0, 0, 0}
	var n int64
	k.until("recvfrom", func() bool {
		n = k.call(syscall.SYS_RECVFROM, b, nonblock, 0, addr(buf), 100, 0, addr(from), addr(fl)).Result
		return n != -errno.EAGAIN
	})
	nameA := make([]byte, 16)
	k.call(syscall.SYS_GETSOCKNAME, a, nonblock, 0, addr(nameA), addr(l))
	if n != int64(len(msg)) || string(buf[:n]) != string(msg) || !bytes.Equal(from, nameA) {
		t.Errorf("recvfrom: %d %q from %v (want %v)", n, buf[:max(n, 0)], from, nameA)
	}

	// sendmsg of two iovecs; recvmsg into a buffer too small: MSG_TRUNC.
	p1, p2 := []byte("part one, "), []byte("part two")
	iov := make([]byte, 32)
	binary.LittleEndian.PutUint64(iov, addr(p1))
	binary.LittleEndian.PutUint64(iov[8:], uint64(len(p1)))
	binary.LittleEndian.PutUint64(iov[16:], addr(p2))
	binary.LittleEndian.PutUint64(iov[24:], uint64(len(p2)))
	hdr := make([]byte, msghdrSize)
	binary.LittleEndian.PutUint64(hdr[msgName:], addr(nameB))
	binary.LittleEndian.PutUint32(hdr[msgNamelen:], 16)
	binary.LittleEndian.PutUint64(hdr[msgIov:], addr(iov))
	binary.LittleEndian.PutUint64(hdr[msgIovlen:], 2)
	if r := k.call(syscall.SYS_SENDMSG, a, nonblock, 0, addr(hdr), 0); r.Result != int64(len(p1)+len(p2)) {
		t.Fatalf("sendmsg: %d", r.Result)
	}
	small := make([]byte, 4)
	riov := make([]byte, 16)
	binary.LittleEndian.PutUint64(riov, addr(small))
	binary.LittleEndian.PutUint64(riov[8:], 4)
	rhdr := make([]byte, msghdrSize)
	binary.LittleEndian.PutUint64(rhdr[msgIov:], addr(riov))
	binary.LittleEndian.PutUint64(rhdr[msgIovlen:], 1)
	k.until("recvmsg", func() bool {
		n = k.call(syscall.SYS_RECVMSG, b, nonblock, 0, addr(rhdr), 0).Result
		return n != -errno.EAGAIN
	})
	if n != 4 || string(small) != "part" || binary.LittleEndian.Uint32(rhdr[msgFlags:])&msgTrunc == 0 {
		t.Errorf("recvmsg: %d %q flags %#x", n, small, binary.LittleEndian.Uint32(rhdr[msgFlags:]))
	}

	// IP_PKTINFO, as DNS servers use it (github.com/miekg/dns): the destination address comes
	// with the datagram, and a reply may name its source the same way.
	one := []byte{1, 0, 0, 0}
	if r := k.call(syscall.SYS_SETSOCKOPT, b, nonblock, 0, syscall.IPPROTO_IP, ipPktinfo, addr(one), 4); r.Result != 0 {
		t.Fatalf("IP_PKTINFO: %d", r.Result)
	}
	pkt := make([]byte, 12)
	cmsgs := make([]byte, 64)
	binary.LittleEndian.PutUint64(hdr[msgControl:], 0)
	binary.LittleEndian.PutUint64(hdr[msgControllen:], 0)
	k.call(syscall.SYS_SENDMSG, a, nonblock, 0, addr(hdr), 0)
	binary.LittleEndian.PutUint64(riov, addr(pkt))
	binary.LittleEndian.PutUint64(riov[8:], 12)
	binary.LittleEndian.PutUint64(rhdr[msgControl:], addr(cmsgs))
	binary.LittleEndian.PutUint64(rhdr[msgControllen:], 64)
	k.until("recvmsg with IP_PKTINFO", func() bool {
		n = k.call(syscall.SYS_RECVMSG, b, nonblock, 0, addr(rhdr), 0).Result
		return n != -errno.EAGAIN
	})
	clen := binary.LittleEndian.Uint64(rhdr[msgControllen:])
	if n != 12 || clen != 32 || binary.LittleEndian.Uint64(cmsgs) != 28 ||
		binary.LittleEndian.Uint32(cmsgs[8:]) != syscall.IPPROTO_IP || binary.LittleEndian.Uint32(cmsgs[12:]) != ipPktinfo ||
		!bytes.Equal(cmsgs[16+8:16+12], localhost[:]) {
		t.Errorf("recvmsg with IP_PKTINFO: %d bytes, control %d: %v", n, clen, cmsgs[:clen])
	}
	// Send back with the IP_PKTINFO message received.
	binary.LittleEndian.PutUint64(hdr[msgControl:], addr(cmsgs))
	binary.LittleEndian.PutUint64(hdr[msgControllen:], clen)
	binary.LittleEndian.PutUint64(hdr[msgName:], addr(nameA))
	if r := k.call(syscall.SYS_SENDMSG, b, nonblock, 0, addr(hdr), 0); r.Result != int64(len(p1)+len(p2)) {
		t.Errorf("sendmsg with IP_PKTINFO: %d", r.Result)
	}
	bad := make([]byte, 16)
	binary.LittleEndian.PutUint64(bad, 16)
	binary.LittleEndian.PutUint32(bad[8:], 77)
	binary.LittleEndian.PutUint64(hdr[msgControl:], addr(bad))
	binary.LittleEndian.PutUint64(hdr[msgControllen:], 16)
	if r := k.call(syscall.SYS_SENDMSG, b, nonblock, 0, addr(hdr), 0); r.Result != -errno.EINVAL {
		t.Errorf("sendmsg with an unknown control message: %d", r.Result)
	}
}

// TestAcceptReadiness: an accept's reply carries the listener's readiness and the new socket's
// apart. The kernel applies the first to the listener: had it been the new socket's, the
// listener would lose EPOLLIN while connections still wait, and the accepting goroutine would
// sleep until the clients gave up (a bug once).
func TestAcceptReadiness(t *testing.T) {
	k := newKernel(t)
	ln := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
	sa := sockaddr4(localhost, 0)
	k.call(syscall.SYS_BIND, ln, nonblock, 0, addr(sa), 16)
	k.call(syscall.SYS_LISTEN, ln, nonblock, 0, 16)
	name, _ := k.name(ln, false)
	var clients []*Socket
	for i := 0; i < 2; i++ {
		c := k.socket(syscall.AF_INET, syscall.SOCK_STREAM)
		k.call(syscall.SYS_CONNECT, c, nonblock, 0, addr(name), 16)
		clients = append(clients, k.objs[c].(*Socket))
	}
	// The server's side of a handshake ends after the client's: gVisor counts a passive opening
	// under the listener's accept lock, right before it queues the connection, so an accept
	// that follows the count finds both queued.
	k.until("both connections in the listener's accept queue", func() bool {
		return k.s.Stats().TCP.PassiveConnectionOpenings.Value() >= uint64(len(clients))
	})
	first := k.call(syscall.SYS_ACCEPT4, ln, nonblock, 0, 0, 0, syscall.SOCK_NONBLOCK)
	if first.How != wire.HowInstall || first.Result < 0 {
		t.Fatalf("accept: %+v", first)
	}
	if first.Ready&syscall.EPOLLIN == 0 {
		t.Errorf("listener readiness %#x after the first of two accepts: want EPOLLIN (one more waits)", first.Ready)
	}
	if first.NewReady&syscall.EPOLLOUT == 0 {
		t.Errorf("new socket's readiness %#x: want EPOLLOUT", first.NewReady)
	}
}
