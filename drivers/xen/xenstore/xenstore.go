// Package xenstore is a client of the xenstore daemon over the shared ring page that Xen gives
// every domain: read, write, mkdir, rm, directory, watches and transactions.
//
// Reference: xen/include/public/io/xs_wire.h (struct xenstore_domain_interface, the message
// format; encoder and decoder in package wire), docs/misc/xenstore.txt and
// xen/include/public/hvm/params.h (HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN), Xen 4.17.
//
// struct xenstore_domain_interface:
//
//	   0 +--------------------------------------------------+
//	     | req[1024]  guest -> xenstored                     |  OffReq, ReqSize
//	1024 +--------------------------------------------------+
//	     | rsp[1024]  xenstored -> guest (replies, events)   |  OffRsp, RspSize
//	2048 +----------+----------+----------+----------+
//	     | req_cons | req_prod | rsp_cons | rsp_prod |       u32, free-running
//	2064 +----------+----------+----------+----------+
//	     | server_features | connection | error | evtchn_port |
//	2080 +--------------------------------------------------+
//
// Messages are streamed through the rings byte-wise: they wrap at the ring's end and may arrive
// in several pieces. The daemon answers each request with a reply carrying the same req_id (or an
// ERROR reply) and may put WATCH_EVENT messages before, between or after replies at any time.
//
// # Two APIs
//
// The kernel needs a path that does not allocate: Put, Get and WriteExitStatus encode into and
// decode from fixed package buffers and return a syscall.Errno. Put and Get answer EBUSY when a
// user-context operation holds the ring; WriteExitStatus, the last operation before the domain
// powers off, takes the ring over from it instead (kernel.go, takeOver). Ordinary Go code uses Read,
// Write, Mkdir, Rm, Directory, Watch, Unwatch, WaitEvent, PollEvent and Transaction, which return
// strings and errors. One request is in flight at a time; watch events that arrive while a
// request waits for its reply are queued (EventSlots, oldest first) for PollEvent and WaitEvent.
//
// Relative paths are relative to the domain's home, /local/domain/<domid>. Waiting happens in the
// wait hook (evtchn.Wait after Init: the vCPU sleeps in SCHEDOP_poll); a daemon that makes no
// progress for MaxStalls waits makes the operation fail with ETIMEDOUT.
package xenstore

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/unikgen/unikgen/drivers/xen/evtchn"
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
)

// xenstore_domain_interface layout.
const (
	OffReq            = 0
	ReqSize           = 1024 // XENSTORE_RING_SIZE
	OffRsp            = 1024
	RspSize           = 1024
	OffReqCons        = 2048
	OffReqProd        = 2052
	OffRspCons        = 2056
	OffRspProd        = 2060
	OffServerFeatures = 2064
	OffConnection     = 2068
	OffError          = 2072
	OffEvtchnPort     = 2076
)

// MaxStalls is how many consecutive waits without progress of the daemon an operation accepts.
const MaxStalls = 500

var (
	ring   uintptr
	port   uint32
	notify func(port uint32)
	wait   func(port uint32)

	// broken is set when a request could only be written in part: the stream is out of step
	// and every later operation fails with EIO.
	broken bool

	reqID uint32
	rd    wire.Reader
	txbuf [wire.MaxMessage]byte

	// What a hand-over (WriteExitStatus, takeOver) needs to continue an operation that another
	// thread left half done, true at every instruction of that thread because the ring's own
	// indexes are the commit points: txbuf[:txLen] is the request being sent, starting at request
	// ring position txStart (txLen 0: none), so req_prod - txStart of it are sent; rd holds the
	// first rsp_cons - rspStart bytes of the message being received.
	txStart  uint32
	txLen    int
	rspStart uint32

	// busy serialises access to the ring and the buffers above: user code takes mu and then
	// busy; the kernel's non-blocking path only tries busy.
	busy atomic.Int32
	mu   sync.Mutex
)

// Init finds the xenstore page and event channel in the HVM parameters and sets the client up
// with evtchn.Notify and evtchn.Wait. It returns false when they are absent. Call after
// hypercall.Init and sharedinfo.Init.
func Init() bool {
	addr, p, ok := hypercall.RingParams(hypercall.HVM_PARAM_STORE_PFN, hypercall.HVM_PARAM_STORE_EVTCHN)
	if !ok {
		return false
	}
	Setup(addr, p, evtchn.Notify, evtchn.Wait)
	return true
}

// Setup uses the xenstore_domain_interface page at ringAddr and event channel p. notify(p)
// signals the daemon; wait(p) blocks until it signals or a short time passed (it may return
// early). Setup also serves tests (package xentest).
func Setup(ringAddr uintptr, p uint32, notifyFn, waitFn func(port uint32)) {
	ring, port, notify, wait = ringAddr, p, notifyFn, waitFn
	broken = false
	rd.Reset()
	txLen = 0
	if ring != 0 {
		rspStart = hw.Load32(ring + OffRspCons)
	}
	evq.reset()
}

// Ready reports whether the client is set up.
func Ready() bool { return ring != 0 }

// Port returns the event channel of the xenstore ring (0 before Init or Setup): it fires when
// the daemon has put replies or watch events into the ring.
func Port() uint32 { return port }

func lockUser() {
	mu.Lock()
	for !busy.CompareAndSwap(0, 1) {
		runtime.Gosched()
	}
}

func unlockUser() {
	busy.Store(0)
	mu.Unlock()
}

// send writes the request txbuf[:n] into the request ring, waiting while it is full.
func send(n int) syscall.Errno {
	txStart = hw.Load32(ring + OffReqProd)
	txLen = n // from here a hand-over finishes this request
	e := pushRequest()
	txLen = 0
	return e
}

// pushRequest writes what is left of the request txbuf[:txLen] into the request ring: the bytes
// after the req_prod - txStart that are in already.
func pushRequest() syscall.Errno {
	stalls := 0
	for {
		prod := hw.Load32(ring + OffReqProd)
		sent := prod - txStart
		if sent > uint32(txLen) {
			return syscall.EIO // req_prod moved under us
		}
		if sent == uint32(txLen) {
			return 0
		}
		cons := hw.Load32(ring + OffReqCons)
		used := prod - cons
		if used >= ReqSize {
			if stalls++; stalls > MaxStalls {
				return syscall.ETIMEDOUT
			}
			notify(port)
			wait(port)
			continue
		}
		stalls = 0
		n := min(ReqSize-used, uint32(txLen)-sent)
		r := hw.Bytes(ring+OffReq, ReqSize)
		off := prod & (ReqSize - 1)
		msg := txbuf[sent : sent+n]
		c := copy(r[off:], msg)
		copy(r, msg[c:])
		hw.Store32(ring+OffReqProd, prod+n) // the commit point: these bytes are sent
		notify(port)
	}
}

// receive reads the response ring until rd holds a complete message. When block is false it
// returns false at once if no byte of a message has arrived; once a message has started it waits
// for the rest.
func receive(block bool) (bool, syscall.Errno) {
	if rd.Complete() {
		rspStart = hw.Load32(ring + OffRspCons) // first: rsp_cons - rspStart is rd's length
		rd.Reset()
	}
	stalls := 0
	for !rd.Complete() {
		if e := rd.Err(); e != 0 {
			return false, e
		}
		cons := hw.Load32(ring + OffRspCons)
		prod := hw.Load32(ring + OffRspProd)
		avail := prod - cons
		if avail > RspSize {
			return false, syscall.EIO
		}
		if avail == 0 {
			if !block && !rd.Started() {
				return false, 0
			}
			if stalls++; stalls > MaxStalls {
				return false, syscall.ETIMEDOUT
			}
			wait(port)
			continue
		}
		stalls = 0
		w := rd.Want()
		if uint32(len(w)) < avail {
			avail = uint32(len(w))
		}
		r := hw.Bytes(ring+OffRsp, RspSize)
		off := cons & (RspSize - 1)
		c := copy(w[:avail], r[off:])
		copy(w[c:avail], r)
		hw.Store32(ring+OffRspCons, cons+avail) // the commit point: rd has these bytes
		rd.Filled(int(avail))
		notify(port)
	}
	return true, 0
}

// roundTrip sends the request in msg (encoded at the start of txbuf) and returns the payload of its reply, valid until the next
// operation. ERROR replies become their errno; watch events met on the way are queued. The
// caller holds busy.
func roundTrip(msg []byte) ([]byte, syscall.Errno) {
	if ring == 0 {
		return nil, syscall.ENOTCONN
	}
	if broken {
		return nil, syscall.EIO
	}
	h := wire.Header(msg)
	id, typ := h.ReqID(), h.Type()
	if &msg[0] != &txbuf[0] {
		return nil, syscall.EINVAL // requests are encoded into txbuf (a hand-over sends the rest from there)
	}
	if e := send(len(msg)); e != 0 {
		broken = true
		return nil, e
	}
	for {
		_, e := receive(true)
		if e != 0 {
			if e == syscall.EIO {
				broken = true
			}
			return nil, e
		}
		rh, pl := rd.Message()
		switch {
		case rh.Type() == wire.WatchEvent:
			evq.push(pl)
		case rh.ReqID() != id:
			// A late reply to an operation that timed out: drop it.
		case rh.Type() == wire.Error:
			return nil, wire.ParseError(pl)
		case rh.Type() != typ:
			return nil, syscall.EIO
		default:
			return pl, 0
		}
	}
}

// nextID returns a fresh request id (never 0, which the daemon uses for watch events).
func nextID() uint32 {
	reqID++
	if reqID == 0 {
		reqID = 1
	}
	return reqID
}
