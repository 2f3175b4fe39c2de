package socket

// This file implements the data calls: read, readv, recvfrom, recvmsg, write, writev, sendto and
// sendmsg, moving bytes between the caller's buffers (iovecs) and the endpoint.

import (
	"encoding/binary"
	"io"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/services/relay"
)

var le = binary.LittleEndian

// An iovec is struct iovec: a buffer of the caller's.
type iovec struct{ base, len uint64 }

// maxIovecs is UIO_MAXIOV.
const maxIovecs = 1024

// struct msghdr (x86-64, 56 bytes).
const (
	msgName       = 0
	msgNamelen    = 8
	msgIov        = 16
	msgIovlen     = 24
	msgControl    = 32
	msgControllen = 40
	msgFlags      = 48
	msghdrSize    = 56
)

// readMsghdr reads the struct msghdr at addr and the iovecs it names.
func readMsghdr(addr uint64) ([]byte, []iovec, int64) {
	hdr, ok := relay.UserBytes(uintptr(addr), msghdrSize)
	if !ok {
		return nil, nil, -errno.EFAULT
	}
	v, e := readIovecs(le.Uint64(hdr[msgIov:]), le.Uint64(hdr[msgIovlen:]))
	if e != 0 {
		return nil, nil, e
	}
	return hdr, v, 0
}

// readIovecs reads n iovecs at addr.
func readIovecs(addr, n uint64) ([]iovec, int64) {
	if n > maxIovecs {
		return nil, -errno.EINVAL
	}
	b, ok := relay.UserBytes(uintptr(addr), uintptr(n)*16)
	if !ok {
		return nil, -errno.EFAULT
	}
	v := make([]iovec, n)
	for i := range v {
		v[i] = iovec{le.Uint64(b[16*i:]), le.Uint64(b[16*i+8:])}
	}
	return v, 0
}

// total returns the bytes the iovecs hold, or an error for a bad buffer.
func total(v []iovec) (int, int64) {
	n := 0
	for _, x := range v {
		if x.len > 1<<31 || n+int(x.len) < n {
			return 0, -errno.EINVAL
		}
		n += int(x.len)
		if _, ok := relay.UserBytes(uintptr(x.base), uintptr(x.len)); !ok {
			return 0, -errno.EFAULT
		}
	}
	return n, 0
}

// scatter is an io.Writer into iovecs; it stops with io.ErrShortWrite when they are full.
type scatter struct {
	v   []iovec
	off uint64
}

func (w *scatter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && len(w.v) > 0 {
		b, _ := relay.UserBytes(uintptr(w.v[0].base+w.off), uintptr(w.v[0].len-w.off))
		k := copy(b, p)
		n += k
		p = p[k:]
		w.off += uint64(k)
		if w.off == w.v[0].len {
			w.v, w.off = w.v[1:], 0
		}
	}
	if len(p) > 0 {
		return n, io.ErrShortWrite
	}
	return n, nil
}

// gather returns the bytes of the iovecs as one reader: the caller's own memory when there is
// one buffer (netstack copies it), a copy otherwise.
func gather(v []iovec, n int) tcpip.Payloader {
	var nonEmpty []iovec
	for _, x := range v {
		if x.len > 0 {
			nonEmpty = append(nonEmpty, x)
		}
	}
	if len(nonEmpty) == 1 {
		b, _ := relay.UserBytes(uintptr(nonEmpty[0].base), uintptr(nonEmpty[0].len))
		return newReader(b)
	}
	buf := make([]byte, 0, n)
	for _, x := range nonEmpty {
		b, _ := relay.UserBytes(uintptr(x.base), uintptr(x.len))
		buf = append(buf, b...)
	}
	return newReader(buf)
}

// reader is a tcpip.Payloader over a byte slice.
type reader struct{ b []byte }

func newReader(b []byte) *reader { return &reader{b} }

func (r *reader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func (r *reader) Len() int { return len(r.b) }

// recv flags (include/linux/socket.h).
const (
	msgPeek     = 0x2
	msgTrunc    = 0x20
	msgDontwait = 0x40
	msgMore     = 0x8000
)

// The events that end a wait to receive, and to send.
const (
	recvEvents = waiter.ReadableEvents | waiter.EventErr | waiter.EventHUp | waiter.EventRdHUp
	sendEvents = waiter.WritableEvents | waiter.EventErr | waiter.EventHUp
)

// wouldBlock answers a call that cannot go on yet: EAGAIN when it must not wait (a non-blocking
// descriptor, or MSG_DONTWAIT in flags), else the caller waits in the kernel for one of events.
func (s *Socket) wouldBlock(r *relay.Request, flags int, events waiter.EventMask) {
	if r.Nonblocking() || flags&msgDontwait != 0 {
		r.Reply(-errno.EAGAIN, s.ready())
		return
	}
	r.ReplyWouldBlock(s.ready(), uint32(events))
}

// iovecs reads the n iovecs at iov of call r; when they are bad it has replied, and ok is false.
func (s *Socket) iovecs(r *relay.Request, iov, n uint64) (v []iovec, ok bool) {
	v, e := readIovecs(iov, n)
	if e != 0 {
		r.Reply(e, s.ready())
		return nil, false
	}
	return v, true
}

func (s *Socket) recvv(r *relay.Request, iov, n uint64, flags int, addr, addrLen uintptr) {
	if v, ok := s.iovecs(r, iov, n); ok {
		s.recv(r, v, flags, addr, addrLen)
	}
}

// recv reads into v and replies with the count.
func (s *Socket) recv(r *relay.Request, v []iovec, flags int, addr, addrLen uintptr) {
	n, _, _, e := s.recvInto(v, flags, addr, addrLen)
	if e == -errno.EAGAIN {
		s.wouldBlock(r, flags, recvEvents)
		return
	}
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	r.Reply(int64(n), s.ready())
}

// recvInto reads into v; it returns the count (with MSG_TRUNC on a datagram socket, the whole
// datagram's size), the message flags (MSG_TRUNC when a datagram was cut), the control messages
// and an error.
func (s *Socket) recvInto(v []iovec, flags int, addr, addrLen uintptr) (int, int, tcpip.ReceivableControlMessages, int64) {
	var none tcpip.ReceivableControlMessages
	size, e := total(v)
	if e != 0 {
		return 0, 0, none, e
	}
	if size == 0 && s.typ == syscall.SOCK_STREAM {
		return 0, 0, none, 0
	}
	w := &scatter{v: v}
	res, err := s.ep.Read(w, tcpip.ReadOptions{Peek: flags&msgPeek != 0, NeedRemoteAddr: addr != 0})
	if err != nil {
		if _, ok := err.(*tcpip.ErrClosedForReceive); ok {
			return 0, 0, none, 0
		}
		return 0, 0, none, -errnoOf(err)
	}
	if s.typ == syscall.SOCK_STREAM {
		s.ep.ModerateRecvBuf(res.Count)
	}
	n, mflags := res.Count, 0
	if s.typ == syscall.SOCK_DGRAM && res.Total > res.Count {
		mflags |= msgTrunc
		if flags&msgTrunc != 0 {
			n = res.Total
		}
	}
	if addr != 0 {
		if e := writeAddr(addr, addrLen, encodeAddr(res.RemoteAddr, s.family)); e != 0 {
			return 0, 0, none, e
		}
	}
	return n, mflags, res.ControlMessages, 0
}

func (s *Socket) recvmsg(r *relay.Request) {
	hdr, v, e := readMsghdr(r.Args[1])
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	flags := int(r.Args[2])
	var name, nameLen uintptr
	if p := le.Uint64(hdr[msgName:]); p != 0 {
		name, nameLen = uintptr(p), uintptr(r.Args[1])+msgNamelen
	}
	n, mflags, cm, e := s.recvInto(v, flags, name, nameLen)
	if e == -errno.EAGAIN {
		s.wouldBlock(r, flags, recvEvents)
		return
	}
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	ctl := encodeCmsgs(cm)
	if room := le.Uint64(hdr[msgControllen:]); uint64(len(ctl)) > room {
		ctl = nil // Linux keeps the messages that fit; none of ours are optional enough to cut
		mflags |= msgCtrunc
	}
	if len(ctl) > 0 {
		b, ok := relay.UserBytes(uintptr(le.Uint64(hdr[msgControl:])), uintptr(len(ctl)))
		if !ok {
			r.Reply(-errno.EFAULT, s.ready())
			return
		}
		copy(b, ctl)
	}
	le.PutUint64(hdr[msgControllen:], uint64(len(ctl)))
	le.PutUint32(hdr[msgFlags:], uint32(mflags))
	r.Reply(int64(n), s.ready())
}

func (s *Socket) sendv(r *relay.Request, iov, n uint64, flags int, addr, addrLen uintptr) {
	if v, ok := s.iovecs(r, iov, n); ok {
		s.send(r, v, flags, addr, addrLen)
	}
}

func (s *Socket) send(r *relay.Request, v []iovec, flags int, addr, addrLen uintptr) {
	s.sendOpts(r, v, flags, addr, addrLen, tcpip.WriteOptions{})
}

func (s *Socket) sendOpts(r *relay.Request, v []iovec, flags int, addr, addrLen uintptr, opts tcpip.WriteOptions) {
	size, e := total(v)
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	if addr != 0 {
		fa, fam, e := parseAddr(addr, addrLen, s.family)
		if e != 0 {
			r.Reply(e, s.ready())
			return
		}
		if fam != syscall.AF_UNSPEC && s.typ == syscall.SOCK_DGRAM {
			opts.To = &fa
		}
	}
	opts.More = flags&msgMore != 0
	if size == 0 && s.typ == syscall.SOCK_STREAM {
		r.Reply(0, s.ready())
		return
	}
	n, err := s.ep.Write(gather(v, size), opts)
	if err == nil && !s.bound {
		s.publish() // the first send binds an unbound socket to a port
	}
	if err != nil {
		if _, ok := err.(*tcpip.ErrWouldBlock); ok {
			s.wouldBlock(r, flags, sendEvents)
			return
		}
		r.Reply(-errnoOf(err), s.ready())
		return
	}
	r.Reply(n, s.ready())
}

func (s *Socket) sendmsg(r *relay.Request) {
	hdr, v, e := readMsghdr(r.Args[1])
	if e != 0 {
		r.Reply(e, s.ready())
		return
	}
	var opts tcpip.WriteOptions
	if n := le.Uint64(hdr[msgControllen:]); n != 0 {
		ctl, ok := relay.UserBytes(uintptr(le.Uint64(hdr[msgControl:])), uintptr(min(n, 1<<16)))
		if !ok {
			r.Reply(-errno.EFAULT, s.ready())
			return
		}
		if e := parseCmsgs(ctl, &opts); e != 0 {
			r.Reply(e, s.ready())
			return
		}
	}
	var name, nameLen uintptr
	if p := le.Uint64(hdr[msgName:]); p != 0 {
		name, nameLen = uintptr(p), uintptr(le.Uint32(hdr[msgNamelen:]))
	}
	s.sendOpts(r, v, int(r.Args[2]), name, nameLen, opts)
}
