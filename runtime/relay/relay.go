// Package relay carries the system calls that need program context to a server that runs there.
//
// Kernel code runs to completion with a fake g and must not allocate, lock or block
// (docs/internals.md), but a network stack or a file system does all of that. So the kernel
// forwards such calls: Forward queues the call with its arguments, blocks the calling thread, and
// wakes the server, an ordinary goroutine of the program (services/relay) locked to its own
// thread, which waits for work in the private call relay_wait. The server runs the call against
// its objects (sockets, files), touching the caller's buffers directly (one address space), and
// answers with a completion; Complete stores the result in the caller's saved registers and makes
// it runnable again. Device interrupts reach the server the same way: IRQ marks a line pending
// and wakes it.
//
// The wire format of requests and completions is in runtime/relay/wire. docs/network.md describes
// the design and its costs.
package relay

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/runtime/sched"
)

// MaxRequests bounds the calls waiting for the server or being served.
const MaxRequests = 256

const (
	free = iota
	queued
	taken
)

type request struct {
	state uint8
	gen   uint16 // bumped at each reuse: a completion names the request by index and gen
	tid   int32  // calling thread index, or -1 (OpRelease)
	nr    uint32
	obj   int32
	flags uint32
	args  [6]uint64
	seq   uint32 // the object's notification count when the call was queued
	spare int32  // object number reserved for a new descriptor, or -1
}

var (
	reqs   [MaxRequests]request
	queue  [MaxRequests]int16 // FIFO of queued request indices
	qHead  int
	qLen   int
	server = -1 // thread index of the server, once it has called relay_wait
	irqs   uint64
	// slotWaiters counts threads blocked because every request slot is in use.
	slotWaiters int
	// events holds an OpEvent bit per object; nEvents counts the bits set. Events take no request
	// slot, so none is ever lost, and several for one object make one.
	events  [wire.MaxObjects / 64]uint64
	nEvents int
	waits   uint32
)

// Running reports whether a server has started.
func Running() bool { return server >= 0 }

// Waits counts the server's relay_wait calls (runs of Wait): one after the server took a
// request shows that it ran the program's code since (runtime/sys's exit flush).
func Waits() uint32 { return waits }

// IsServer reports whether thread i is the server.
func IsServer(i int) bool { return server >= 0 && server == i }

// Forward queues the current thread's system call nr with args for the server, on the server
// object obj (-1 for none) whose descriptor has the status flags flags, and blocks the thread
// until the completion. seq is the object's notification count (see readiness in runtime/fd);
// spare is an object number reserved for a descriptor the call may make, or -1. It returns
// false, without blocking, when no server runs.
func Forward(nr uint32, obj int32, flags uint32, seq uint32, spare int32, args [6]uint64) bool {
	if server < 0 {
		return false
	}
	t := sched.Current()
	i := alloc()
	if i < 0 {
		// Every slot is taken: wait for one and run the call again.
		slotWaiters++
		sched.Block(sched.WaitRelaySlot, 0, 0)
		return true
	}
	r := &reqs[i]
	r.state, r.tid, r.nr, r.obj, r.flags, r.args, r.seq, r.spare = queued, int32(t), nr, obj, flags, args, seq, spare
	push(i)
	sched.Block(sched.WaitRelay, uintptr(i), 0)
	wakeServer()
	return true
}

// Notify queues a request that no thread waits for: OpRelease, or the creation of an object
// (socket(2)). It reports false when the request could not be queued (no server, or every slot
// taken).
func Notify(nr uint32, obj int32, args [6]uint64) bool {
	if server < 0 {
		return false
	}
	i := alloc()
	if i < 0 {
		return false
	}
	r := &reqs[i]
	r.state, r.tid, r.nr, r.obj, r.flags, r.args, r.seq, r.spare = queued, -1, nr, obj, 0, args, 0, -1
	push(i)
	wakeServer()
	return true
}

// Event asks the server to look at obj (wire.OpEvent). It is delivered after the requests queued
// before it.
func Event(obj int32) {
	if obj < 0 || int(obj) >= wire.MaxObjects {
		return
	}
	w, b := obj/64, uint64(1)<<(obj%64)
	if events[w]&b == 0 {
		events[w] |= b
		nEvents++
	}
	wakeServer()
}

// IRQ marks interrupt line (0..63) pending for the server and wakes it. It runs in interrupt
// context.
func IRQ(line int) {
	irqs |= 1 << uint(line&63)
	wakeServer()
}

func alloc() int {
	for i := range reqs {
		if reqs[i].state == free {
			reqs[i].gen++
			return i
		}
	}
	return -1
}

func push(i int) {
	queue[(qHead+qLen)%MaxRequests] = int16(i)
	qLen++
}

func wakeServer() {
	if server >= 0 {
		t := sched.T(server)
		if t.State == sched.Blocked && t.Wait == sched.WaitRelayServer {
			sched.WakeRestartNext(server) // relay_wait runs again and collects the work
		}
	}
}

// Serve makes the current thread the server, the first time; it reports false when another
// thread already is.
func Serve() bool {
	if server < 0 {
		server = sched.Current()
	}
	return server == sched.Current()
}

// Wait implements the second half of relay_wait for the server (runtime/sys applies the
// completions first): it writes the pending interrupt lines and as many queued requests as fit
// into the buffer at out (size bytes) and returns their number. With nothing to report it blocks
// until there is, and the call runs again.
func Wait(out, size uintptr) int64 {
	if size < wire.HeaderSize+wire.RequestSize {
		return -errno.EINVAL
	}
	waits++
	if qLen == 0 && irqs == 0 && nEvents == 0 {
		sched.Block(sched.WaitRelayServer, 0, 0)
		return 0
	}
	count := 0
	p := out + wire.HeaderSize
	for qLen > 0 && p+wire.RequestSize <= out+size {
		i := int(queue[qHead])
		qHead = (qHead + 1) % MaxRequests
		qLen--
		r := &reqs[i]
		*arch.U32(p + wire.ReqID) = uint32(i) | uint32(r.gen)<<16
		*arch.U32(p + wire.ReqNr) = r.nr
		*arch.U32(p + wire.ReqObj) = uint32(r.obj)
		*arch.U32(p + wire.ReqFlags) = r.flags
		*arch.U32(p + wire.ReqTID) = uint32(r.tid + 1)
		*arch.U32(p + wire.ReqSpare) = uint32(r.spare)
		for k := 0; k < 6; k++ {
			*arch.U64(p + wire.ReqArgs + uintptr(k)*8) = r.args[k]
		}
		if r.tid < 0 {
			release(i) // a notification: nobody waits for its completion
		} else {
			r.state = taken
		}
		p += wire.RequestSize
		count++
	}
	for w := 0; w < len(events) && nEvents > 0 && qLen == 0 && p+wire.RequestSize <= out+size; w++ {
		for events[w] != 0 && p+wire.RequestSize <= out+size {
			b := events[w] & -events[w]
			events[w] &^= b
			nEvents--
			obj := int32(w*64 + trailingZeros(b))
			*arch.U32(p + wire.ReqID) = 0
			*arch.U32(p + wire.ReqNr) = wire.OpEvent
			*arch.U32(p + wire.ReqObj) = uint32(obj)
			*arch.U32(p + wire.ReqFlags) = 0
			*arch.U32(p + wire.ReqTID) = 0
			*arch.U32(p + wire.ReqSpare) = ^uint32(0)
			p += wire.RequestSize
			count++
		}
	}
	*arch.U32(out + wire.HdrCount) = uint32(count)
	*arch.U64(out + wire.HdrIRQs) = irqs
	irqs = 0
	return int64(count)
}

// Request describes a taken request, for runtime/sys applying a completion.
type Request struct {
	Thread int
	Nr     uint32
	Obj    int32
	Seq    uint32
	Spare  int32
}

// Lookup returns the taken request named by id.
func Lookup(id uint32) (Request, bool) {
	i := int(id & 0xffff)
	if i >= MaxRequests || reqs[i].state != taken || reqs[i].gen != uint16(id>>16) {
		return Request{}, false
	}
	r := &reqs[i]
	return Request{Thread: int(r.tid), Nr: r.nr, Obj: r.obj, Seq: r.seq, Spare: r.spare}, true
}

// Finish frees the request named by id; the caller has been dealt with (woken, or left to wait
// for readiness and run the call again).
func Finish(id uint32) {
	release(int(id & 0xffff))
}

func release(i int) {
	reqs[i].state = free
	if slotWaiters > 0 {
		slotWaiters = 0
		sched.WakeRestartAll(sched.WaitRelaySlot)
	}
}

func trailingZeros(b uint64) int {
	n := 0
	for b&1 == 0 {
		b >>= 1
		n++
	}
	return n
}
