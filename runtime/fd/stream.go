package fd

// This file implements the kernel's side of the stream rings (runtime/relay/wire, "Stream
// rings"): a connected stream socket's read and write calls are served here, in the caller's
// context, from two rings of kernel frames that the relay server fills and drains in the
// background. A call that moves bytes never waits for the server; only an empty receive ring or a
// full transmit ring makes the caller wait (EAGAIN, or a blocking descriptor parks).
//
// The rings are single-producer, single-consumer: each index has one writer, and the reader of an
// index reads it once per call. The kernel runs with interrupts off on the only CPU, so its own
// steps are atomic to the server, which may be interrupted anywhere; the server stores its
// indices with atomic stores after its bytes (services/socket).

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"sync/atomic"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// MaxRings bounds the stream sockets with rings (connected TCP sockets, and those the server is
// still closing).
const MaxRings = 512

// ringHdr is the header of a ring pair, laid out as runtime/relay/wire says (TestRingLayout).
type ringHdr struct {
	rxHead, rxTail, txHead, txTail uint32
	state, errno, kstate, _        uint32
	rxPages, txPages               [wire.RingPages]uint64
}

type ring struct {
	hdr  ringHdr
	used bool
	obj  int32 // -1 once the object is gone and the server is closing the connection
}

var rings [MaxRings]ring

// addr returns the address of the header, which the server is given.
func (r *ring) addr() uintptr { return uintptr(unsafe.Pointer(&r.hdr)) }

// page returns the address of page i of the receive (tx false) or transmit ring.
func (r *ring) page(tx bool, i int) uintptr {
	if tx {
		return uintptr(r.hdr.txPages[i])
	}
	return uintptr(r.hdr.rxPages[i])
}

// AttachRing gives served object obj a ring pair and returns the address of its header
// (relay_ring). The frames are zeroed.
func AttachRing(obj int32) int64 {
	if obj < 0 || int(obj) >= len(objs) || !objs[obj].used || objs[obj].ring != 0 {
		return -errno.EINVAL
	}
	for i := range rings {
		r := &rings[i]
		if r.used {
			continue
		}
		*r = ring{used: true, obj: obj}
		for k := 0; k < 2*wire.RingPages; k++ {
			pa, ok := mm.AllocFrame()
			if !ok {
				freeRing(r)
				return -errno.ENOMEM
			}
			if k < wire.RingPages {
				r.hdr.rxPages[k] = uint64(pa)
			} else {
				r.hdr.txPages[k-wire.RingPages] = uint64(pa)
			}
		}
		objs[obj].ring = int32(i + 1)
		return int64(r.addr())
	}
	return -errno.ENOMEM
}

// FreeRing gives back the ring pair whose header is at addr (relay_ring, after the server has
// closed the connection). Its object must be gone.
func FreeRing(addr uintptr) int64 {
	for i := range rings {
		r := &rings[i]
		if r.used && r.addr() == addr {
			if o := r.obj; o >= 0 && objs[o].ring == int32(i+1) {
				return -errno.EBUSY
			}
			freeRing(r)
			return 0
		}
	}
	return -errno.EINVAL
}

func freeRing(r *ring) {
	for k := 0; k < wire.RingPages; k++ {
		for _, pa := range [2]uintptr{r.page(false, k), r.page(true, k)} {
			if pa != 0 {
				mm.FreeFrame(pa)
			}
		}
	}
	*r = ring{}
}

// ringOf returns the ring pair of served object obj, or nil.
func ringOf(obj int32) *ring {
	if obj < 0 || int(obj) >= len(objs) || objs[obj].ring == 0 {
		return nil
	}
	return &rings[objs[obj].ring-1]
}

// streamOf returns the open file of served descriptor fd, its index and its ring pair; r is nil
// when fd has no ring pair.
func streamOf(fd int) (f *file, fi int, r *ring) {
	f, fi = fileOf(fd)
	if f == nil || f.kind != kindServed {
		return nil, -1, nil
	}
	return f, fi, ringOf(f.obj)
}

// detachRing leaves obj's ring to the server as the object goes: it sends what the transmit ring
// holds, then closes the connection and frees the ring (FreeRing).
func detachRing(obj int32) {
	r := ringOf(obj)
	if r == nil {
		return
	}
	atomic.OrUint32(&r.hdr.kstate, wire.RingClosed)
	r.obj = -1
	objs[obj].ring = 0
}

// event asks the server to pump the ring's object.
func (r *ring) event() {
	if r.obj >= 0 {
		relay.Event(r.obj)
	}
}

// Kick asks the server to look at obj on behalf of the server's own goroutines (relay_kick): a
// network stack event they saw.
func Kick(obj int32) int64 {
	if obj < 0 || int(obj) >= len(objs) || !objs[obj].used {
		return -errno.EINVAL
	}
	relay.Event(obj)
	return 0
}

// ringReady returns the epoll bits that the ring pair decides: readable with bytes, end of file
// or an error; writable with room in the transmit ring.
func (r *ring) ready() uint32 {
	var ev uint32
	h := &r.hdr
	st := atomic.LoadUint32(&h.state)
	if atomic.LoadUint32(&h.rxHead) != h.rxTail || st&(wire.RingEOF|wire.RingErr) != 0 {
		ev |= epollIN
	}
	if st&wire.RingEOF != 0 {
		ev |= epollRDHUP
	}
	if st&wire.RingErr != 0 {
		ev |= epollERR
	}
	if st&wire.RingConnected != 0 && h.txHead-atomic.LoadUint32(&h.txTail) < wire.RingSize && h.kstate&wire.RingShutWR == 0 {
		ev |= epollOUT
	}
	return ev
}

// StreamRead serves a read of served descriptor fd into the n bytes at buf, when the descriptor
// has a ring pair; ok is false otherwise (the server answers). peek leaves the bytes in the ring.
// With nothing to read it returns EAGAIN, or parks a blocking caller until the object's
// readiness changes and runs the call again.
func StreamRead(fd int, buf, n uintptr, peek, dontwait bool) (res int64, ok bool) {
	f, fi, r := streamOf(fd)
	if r == nil {
		return 0, false
	}
	h := &r.hdr
	head := atomic.LoadUint32(&h.rxHead)
	tail := h.rxTail
	avail := uintptr(head - tail)
	st := atomic.LoadUint32(&h.state)
	if n == 0 {
		return 0, true
	}
	if avail == 0 {
		switch {
		case h.kstate&wire.RingShutRD != 0, st&wire.RingEOF != 0:
			return 0, true
		case st&wire.RingErr != 0:
			return -int64(atomic.LoadUint32(&h.errno)), true
		}
		return wouldWait(f, fi, dontwait), true
	}
	if n > avail {
		n = avail
	}
	r.copy(false, tail, buf, n)
	if peek {
		return int64(n), true
	}
	atomic.StoreUint32(&h.rxTail, tail+uint32(n))
	if st&wire.RingRxWait != 0 { // the server stopped filling a full ring: there is room now
		r.event()
	}
	return int64(n), true
}

// StreamWrite serves a write of the n bytes at buf to served descriptor fd, when the descriptor
// has a ring pair; ok is false otherwise. It takes what the transmit ring has room for; with no
// room it returns EAGAIN, or parks a blocking caller.
func StreamWrite(fd int, buf, n uintptr, dontwait bool) (res int64, ok bool) {
	f, fi, r := streamOf(fd)
	if r == nil {
		return 0, false
	}
	h := &r.hdr
	if h.kstate&wire.RingShutWR != 0 {
		return -errno.EPIPE, true
	}
	if st := atomic.LoadUint32(&h.state); st&wire.RingErr != 0 {
		return -int64(atomic.LoadUint32(&h.errno)), true
	}
	head := h.txHead
	tail := atomic.LoadUint32(&h.txTail)
	room := uintptr(wire.RingSize - (head - tail))
	if n == 0 {
		return 0, true
	}
	if room == 0 || atomic.LoadUint32(&h.state)&wire.RingConnected == 0 {
		return wouldWait(f, fi, dontwait), true
	}
	if n > room {
		n = room
	}
	r.copy(true, head, buf, n)
	atomic.StoreUint32(&h.txHead, head+uint32(n))
	if head == tail { // the ring was empty: the server may be idle
		r.event()
	}
	return int64(n), true
}

// StreamShutdown records shutdown(2) for a descriptor with a ring pair and tells the server; ok
// is false without one.
func StreamShutdown(fd int, how int) (res int64, ok bool) {
	f, _, r := streamOf(fd)
	if r == nil {
		return 0, false
	}
	var bits uint32
	switch how {
	case 0:
		bits = wire.RingShutRD
	case 1:
		bits = wire.RingShutWR
	case 2:
		bits = wire.RingShutRD | wire.RingShutWR
	default:
		return -errno.EINVAL, true
	}
	atomic.OrUint32(&r.hdr.kstate, bits)
	r.event()
	changed(int(objs[f.obj].file - 1))
	return 0, true
}

// wouldWait answers EAGAIN to a non-blocking caller, or parks a blocking one on file fi until
// its readiness changes and the call runs again.
func wouldWait(f *file, fi int, dontwait bool) int64 {
	if f.flags&oNONBLOCK != 0 || dontwait {
		return -errno.EAGAIN
	}
	blockOnFile(fi)
	return 0
}

// copy copies n bytes between buf and the transmit ring (tx: into it) or the receive ring (out
// of it), from ring index at.
func (r *ring) copy(tx bool, at uint32, buf, n uintptr) {
	if tx {
		copyPaged(r.hdr.txPages[:], at, buf, n, true)
	} else {
		copyPaged(r.hdr.rxPages[:], at, buf, n, false)
	}
}

// copyPaged copies n bytes between buf and a byte ring laid over frames (mm.PageSize bytes each,
// in ring order; the ring's size is all of them), from ring index at: into the ring when in is
// true, out of it otherwise. The stream rings and the pipes (pipe.go) are such rings.
func copyPaged[F ~uint64 | ~uintptr](frames []F, at uint32, buf, n uintptr, in bool) {
	size := uint32(len(frames)) * mm.PageSize
	for n > 0 {
		off := uintptr(at % size)
		pg := uintptr(frames[off/mm.PageSize]) + off%mm.PageSize
		k := min(n, mm.PageSize-off%mm.PageSize)
		if in {
			arch.Copy(pg, buf, k)
		} else {
			arch.Copy(buf, pg, k)
		}
		buf, n, at = buf+k, n-k, at+uint32(k)
	}
}
