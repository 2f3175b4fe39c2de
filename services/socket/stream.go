package socket

// This file implements the server's side of the stream rings (runtime/relay/wire, "Stream
// rings"). A connected TCP socket's reads and writes are served by the kernel from two rings; the
// server moves bytes between them and the endpoint whenever something changes (pump): bytes the
// program wrote, room the program made by reading, or the endpoint's own events (data, room in its
// send buffer, the peer's close). It then reports new readiness to the kernel, which makes the
// edge that wakes the program's goroutines.

import (
	"io"
	"sync/atomic"
	"syscall"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// ringHdr is the header of a ring pair in kernel memory (runtime/fd's ringHdr, TestRingLayout).
type ringHdr struct {
	rxHead, rxTail, txHead, txTail uint32
	state, errno, kstate, _        uint32
	rxPages, txPages               [wire.RingPages]uint64
}

// rings is how a socket reaches the kernel's rings; the kernel's system calls by default,
// fakes in tests.
type rings interface {
	attach(obj int32) (*ringHdr, error)
	free(*ringHdr)
	kick(obj int32)
}

type kernelRings struct{}

func (kernelRings) attach(obj int32) (*ringHdr, error) {
	r, _, e := syscall.RawSyscall(wire.SysRing, 0, uintptr(obj), 0)
	if e != 0 {
		return nil, e
	}
	return (*ringHdr)(arch.Ptr(r)), nil
}

func (kernelRings) free(h *ringHdr) {
	syscall.RawSyscall(wire.SysRing, 1, uintptr(unsafe.Pointer(h)), 0)
}

func (kernelRings) kick(obj int32) { syscall.RawSyscall(wire.SysKick, uintptr(obj), 0, 0) }

// ringBytes returns the ring's bytes from index at, up to n, as at most two slices (the ring wraps,
// and its pages are not contiguous: each slice stays in one page).
func ringBytes(pages *[wire.RingPages]uint64, at uint32, n int, out [][]byte) [][]byte {
	for n > 0 {
		off := int(at % wire.RingSize)
		k := min(n, 4096-off%4096)
		out = append(out, arch.Bytes(uintptr(pages[off/4096])+uintptr(off%4096), uintptr(k)))
		n -= k
		at += uint32(k)
	}
	return out
}

// ringWriter is an io.Writer into the free part of a receive ring.
type ringWriter struct {
	h    *ringHdr
	head uint32 // where the next byte goes
	room int
	buf  [][]byte
}

func (w *ringWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && w.room > 0 {
		w.buf = ringBytes(&w.h.rxPages, w.head, min(len(p), w.room), w.buf[:0])
		for _, b := range w.buf {
			k := copy(b, p)
			p = p[k:]
			n += k
			w.head += uint32(k)
			w.room -= k
		}
	}
	if len(p) > 0 {
		return n, io.ErrShortWrite
	}
	return n, nil
}

// ringReader is a tcpip.Payloader over the bytes of a transmit ring.
type ringReader struct {
	h    *ringHdr
	tail uint32
	left int
	buf  [][]byte
}

func (r *ringReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := 0
	r.buf = ringBytes(&r.h.txPages, r.tail, min(len(p), r.left), r.buf[:0])
	for _, b := range r.buf {
		k := copy(p, b)
		p = p[k:]
		n += k
	}
	r.tail += uint32(n)
	r.left -= n
	return n, nil
}

func (r *ringReader) Len() int { return r.left }

// attachRing gives the socket its ring pair, once it is connected (or connecting).
func (s *Socket) attachRing() {
	if s.ring != nil || s.typ != syscall.SOCK_STREAM {
		return
	}
	h, err := s.l.rings.attach(s.obj)
	if err != nil {
		return // no ring: the server keeps answering reads and writes itself
	}
	s.ring = h
}

// pump moves bytes between the rings and the endpoint and reports what changed. It runs on the
// server (OpEvent), never concurrently with itself for one socket.
func (s *Socket) pump() {
	h := s.ring
	if h == nil {
		return
	}
	var gained uint32
	st := atomic.LoadUint32(&h.state)
	if _, err := s.ep.GetRemoteAddress(); st&wire.RingConnected == 0 && err == nil {
		st |= wire.RingConnected
		atomic.OrUint32(&h.state, wire.RingConnected)
		s.connecting = false
		s.publish()
		gained |= uint32(waiter.WritableEvents)
	}
	kst := atomic.LoadUint32(&h.kstate)

	// Receive: fill the ring from the endpoint.
	if kst&wire.RingShutRD != 0 && !s.shutRD {
		s.shutRD = true
		s.ep.Shutdown(tcpip.ShutdownRead)
	}
	for st&(wire.RingEOF|wire.RingErr) == 0 {
		head := h.rxHead
		room := wire.RingSize - int(head-atomic.LoadUint32(&h.rxTail))
		if room == 0 {
			if s.ep.Readiness(waiter.ReadableEvents) == 0 {
				break
			}
			atomic.OrUint32(&h.state, wire.RingRxWait)
			if wire.RingSize-int(h.rxHead-atomic.LoadUint32(&h.rxTail)) == 0 {
				break // the kernel sends an event when the program reads
			}
			continue // the program read meanwhile
		}
		atomic.AndUint32(&h.state, ^uint32(wire.RingRxWait))
		w := &ringWriter{h: h, head: head, room: room, buf: s.scratch[:0]}
		res, err := s.ep.Read(w, tcpip.ReadOptions{})
		if err != nil {
			switch err.(type) {
			case *tcpip.ErrWouldBlock:
			case *tcpip.ErrClosedForReceive:
				st |= wire.RingEOF
				atomic.OrUint32(&h.state, wire.RingEOF)
				gained |= uint32(waiter.ReadableEvents | waiter.EventRdHUp)
			default:
				s.ringError(err)
				st |= wire.RingErr
				gained |= uint32(waiter.ReadableEvents | waiter.EventErr)
			}
			break
		}
		if res.Count == 0 {
			break
		}
		s.ep.ModerateRecvBuf(res.Count)
		atomic.StoreUint32(&h.rxHead, head+uint32(res.Count))
		gained |= uint32(waiter.ReadableEvents)
	}

	// Transmit: drain the ring into the endpoint.
	if st&wire.RingConnected != 0 && st&wire.RingErr == 0 {
		for {
			tail := h.txTail
			left := int(atomic.LoadUint32(&h.txHead) - tail)
			if left == 0 {
				break
			}
			rr := &ringReader{h: h, tail: tail, left: left, buf: s.scratch[:0]}
			n, err := s.ep.Write(rr, tcpip.WriteOptions{})
			if n > 0 {
				atomic.StoreUint32(&h.txTail, tail+uint32(n))
				gained |= uint32(waiter.WritableEvents)
			}
			if err != nil {
				if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
					s.ringError(err)
					gained |= uint32(waiter.EventErr | waiter.WritableEvents)
				}
				break // the endpoint's writable event pumps again
			}
			if n == 0 {
				break
			}
		}
		if kst&wire.RingShutWR != 0 && !s.shutWR && h.txTail == atomic.LoadUint32(&h.txHead) {
			s.shutWR = true
			s.ep.Shutdown(tcpip.ShutdownWrite)
		}
	}
	if gained != 0 && !s.closing {
		s.l.k.Notify(s.obj, gained)
	}
}

// ringError records err for the program: after the bytes in the receive ring, reads and writes
// fail with it.
func (s *Socket) ringError(err tcpip.Error) {
	h := s.ring
	e := errnoOf(err)
	if e == 0 {
		e = int64(syscall.EPIPE)
	}
	atomic.StoreUint32(&h.errno, uint32(e))
	atomic.OrUint32(&h.state, wire.RingErr)
}

// closeRing sends what the transmit ring still holds, then closes the endpoint and gives the ring
// back. The object is gone: this runs in a goroutine of its own, woken by the endpoint's events.
func (s *Socket) closeRing() {
	h := s.ring
	e, ch := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventErr | waiter.EventHUp)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	for atomic.LoadUint32(&h.state)&wire.RingErr == 0 && atomic.LoadUint32(&h.state)&wire.RingConnected != 0 {
		tail := h.txTail
		left := int(h.txHead - tail)
		if left == 0 {
			break
		}
		n, err := s.ep.Write(&ringReader{h: h, tail: tail, left: left}, tcpip.WriteOptions{})
		atomic.StoreUint32(&h.txTail, tail+uint32(n))
		if err != nil {
			if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
				break
			}
			<-ch
		}
	}
	s.ep.Close()
	s.l.rings.free(h)
}
