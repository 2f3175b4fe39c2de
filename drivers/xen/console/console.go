// Package console drives the Xen PV console: a shared page holding an input and an output ring,
// plus an event channel, set up by the toolstack for every domain (xenconsoled is the backend;
// `xl console` and the console log read it).
//
// Reference: xen/include/public/io/console.h (struct xencons_interface), Xen 4.17;
// xen/include/public/hvm/params.h (HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN).
//
// struct xencons_interface:
//
//	   0 +--------------------------------+
//	     | in[1024]   backend -> guest     |  OffIn,  InSize
//	1024 +--------------------------------+
//	     | out[2048]  guest -> backend     |  OffOut, OutSize
//	3072 +--------+--------+--------+--------+
//	     |in_cons |in_prod |out_cons|out_prod|  u32 each, free-running
//	3088 +--------+--------+--------+--------+
//	     | u8 connection (unused here)        |
//
// Byte i of a ring is at index i & (size-1). The producer writes data, then (after a write
// barrier) advances its index and notifies the event channel; the consumer reads data, then
// advances its index. The guest produces out and consumes in.
//
// Write blocks while the output ring is full, notifying the backend and waiting on the event
// channel. Before Setup (or Init) output goes to a fixed early buffer that Setup replays.
//
// Kernel context: no allocation, pointer-free state (the notify and wait hooks are func values set
// once at boot). The package does no locking: callers serialise Write (the kernel holds its console
// lock or runs with interrupts off).
package console

import (
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/evtchn"
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// xencons_interface layout.
const (
	OffIn         = 0
	InSize        = 1024
	OffOut        = 1024
	OutSize       = 2048
	OffInCons     = 3072
	OffInProd     = 3076
	OffOutCons    = 3080
	OffOutProd    = 3084
	OffConnection = 3088
)

// EarlySize is the size of the buffer holding output written before the ring is set up.
const EarlySize = 16 << 10

// MaxStalls is how many consecutive waits without progress of the backend Write and Flush accept
// before they give up (the rest of the output is counted in Lost). With evtchn.Wait this is about
// MaxStalls * 10 ms.
const MaxStalls = 500

var (
	ring   uintptr
	port   uint32
	notify func(port uint32)
	wait   func(port uint32)

	early    [EarlySize]byte
	earlyLen int
	lost     uint64
)

// Init finds the console page and event channel in the HVM parameters and sets the ring up with
// evtchn.Notify and evtchn.Wait. It returns false when Xen has no console for this domain. Call
// after hypercall.Init, sharedinfo.Init (for evtchn.Wait's timeout) and before the first Write
// that must reach the host.
func Init() bool {
	addr, p, ok := hypercall.RingParams(hypercall.HVM_PARAM_CONSOLE_PFN, hypercall.HVM_PARAM_CONSOLE_EVTCHN)
	if !ok {
		return false
	}
	Setup(addr, p, evtchn.Notify, evtchn.Wait)
	return true
}

// Setup uses the xencons_interface page at ringAddr and event channel p. notify(p) signals the
// backend; wait(p) blocks until the backend signals or a short time passed (it may return early).
// Output buffered so far is written to the ring.
func Setup(ringAddr uintptr, p uint32, notifyFn, waitFn func(port uint32)) {
	ring, port, notify, wait = ringAddr, p, notifyFn, waitFn
	if earlyLen > 0 {
		n := earlyLen
		earlyLen = 0
		Write(early[:n])
	}
}

// Ready reports whether the ring is set up.
func Ready() bool { return ring != 0 }

// Port returns the console's event channel (the backend signals it for input and for output it
// consumed).
func Port() uint32 { return port }

// Lost returns the number of output bytes dropped: early output beyond EarlySize, and output the
// backend never consumed.
func Lost() uint64 { return lost }

// WriteString is Write for a string, without copying it.
func WriteString(s string) int {
	return Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Write puts b on the console and returns len(b). Before the ring is set up it buffers b.
func Write(b []byte) int {
	n := len(b)
	if ring == 0 {
		c := copy(early[earlyLen:], b)
		earlyLen += c
		lost += uint64(n - c)
		return n
	}
	stalls := 0
	for len(b) > 0 {
		prod := hw.Load32(ring + OffOutProd)
		cons := hw.Load32(ring + OffOutCons)
		used := prod - cons
		if used >= OutSize { // full (or a corrupt index: treat it as full)
			if stalls++; stalls > MaxStalls {
				lost += uint64(len(b))
				break
			}
			notify(port)
			wait(port)
			continue
		}
		stalls = 0
		c := copyIn(ring+OffOut, OutSize, prod, OutSize-used, b)
		hw.Store32(ring+OffOutProd, prod+uint32(c))
		b = b[c:]
	}
	notify(port)
	return n
}

// copyIn copies up to room bytes of b into the ring of size at base starting at free-running index
// idx, wrapping at the end, and returns how many it copied.
func copyIn(base uintptr, size, idx, room uint32, b []byte) int {
	if uint32(len(b)) < room {
		room = uint32(len(b))
	}
	r := hw.Bytes(base, int(size))
	off := idx & (size - 1)
	c := copy(r[off:], b[:room])
	copy(r, b[c:room])
	return int(room)
}

// Flush waits until the backend has consumed all output (before shutting down, so that the last
// lines reach the log). It returns false if the backend made no progress for MaxStalls waits.
func Flush() bool {
	if ring == 0 {
		return false
	}
	stalls := 0
	last := hw.Load32(ring + OffOutCons)
	for {
		cons := hw.Load32(ring + OffOutCons)
		if cons == hw.Load32(ring+OffOutProd) {
			return true
		}
		if cons != last {
			last, stalls = cons, 0
		} else if stalls++; stalls > MaxStalls {
			return false
		}
		notify(port)
		wait(port)
	}
}

// Read copies waiting input into b and returns the number of bytes; it does not block.
func Read(b []byte) int {
	if ring == 0 || len(b) == 0 {
		return 0
	}
	cons := hw.Load32(ring + OffInCons)
	prod := hw.Load32(ring + OffInProd)
	avail := prod - cons
	if avail > InSize {
		avail = InSize // corrupt producer index: read what the ring can hold
	}
	if uint32(len(b)) < avail {
		avail = uint32(len(b))
	}
	if avail == 0 {
		return 0
	}
	r := hw.Bytes(ring+OffIn, InSize)
	off := cons & (InSize - 1)
	c := copy(b[:avail], r[off:])
	copy(b[c:avail], r)
	hw.Store32(ring+OffInCons, cons+avail)
	notify(port)
	return int(avail)
}

// WaitInput blocks until input is waiting (it may return early, like the wait hook).
func WaitInput() {
	if ring == 0 {
		return
	}
	if hw.Load32(ring+OffInProd) == hw.Load32(ring+OffInCons) {
		wait(port)
	}
}
