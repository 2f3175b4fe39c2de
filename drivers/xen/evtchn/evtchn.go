// Package evtchn implements Xen event channels for a PVH guest: the 2-level ABI's pending and mask
// bitmaps in shared_info, the upcall handler, and the event_channel_op calls the drivers need.
//
// Reference: xen/include/public/event_channel.h (EVTCHNOP_*, struct evtchn_*),
// xen/include/public/xen.h (shared_info.evtchn_pending/evtchn_mask, vcpu_info), and
// xen/include/public/hvm/params.h (HVM_PARAM_CALLBACK_IRQ, delivery type vector), Xen 4.17.
//
// # Delivery
//
// Xen marks port p pending by setting bit p%64 of shared_info.evtchn_pending[p/64], then bit p/64
// of vcpu_info.evtchn_pending_sel, then vcpu_info.evtchn_upcall_pending, and injects the callback
// vector that EnableUpcall registered (HVM_PARAM_CALLBACK_IRQ = 2<<56 | vector; no LAPIC EOI).
// The kernel's handler for that vector calls HandleUpcall, which moves every pending, unmasked port
// into this package's own pointer-free table of fired ports:
//
//	shared_info                                   this package
//	evtchn_pending_sel ──► evtchn_pending[i] &^ evtchn_mask[i] ──► fired[i]  ──► Consume(port)
//	  (xchg to 0)            (bit cleared atomically)               (bit set)     (bit cleared)
//
// Drivers wait for their port with Wait, which also works with interrupts disabled or without an
// upcall at all: it checks the fired table, then the shared_info pending bit, and otherwise blocks
// in SCHEDOP_poll (Xen wakes the vCPU when the port becomes pending) with a short timeout.
//
// Everything here runs in kernel context: no allocation, pointer-free state (the optional handler
// is a func value set once at boot).
package evtchn

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/pvclock"
	si "github.com/unikgen/unikgen/drivers/xen/sharedinfo"
)

// event_channel_op commands (event_channel.h).
const (
	EVTCHNOP_bind_interdomain = 0
	EVTCHNOP_bind_virq        = 1
	EVTCHNOP_close            = 3
	EVTCHNOP_send             = 4
	EVTCHNOP_status           = 5
	EVTCHNOP_alloc_unbound    = 6
	EVTCHNOP_bind_ipi         = 7
	EVTCHNOP_bind_vcpu        = 8
	EVTCHNOP_unmask           = 9
)

// Virtual IRQs (xen.h VIRQ_*).
const (
	VIRQ_TIMER   = 0
	VIRQ_DEBUG   = 1
	VIRQ_CONSOLE = 2
)

// NumPorts is the number of ports of the 2-level ABI on x86-64 (64 words of 64 bits).
const NumPorts = 64 * 64

// PollTimeout bounds one SCHEDOP_poll in Wait, in ns.
const PollTimeout = 10_000_000

var (
	fired   [NumPorts / 64]uint64
	upcalls atomic.Uint64
	handler func(port uint32)
)

// EnableUpcall asks Xen to deliver events as interrupt vector on vCPU 0..n (global callback,
// HVM_PARAM_CALLBACK_IRQ with delivery type vector) and clears vCPU 0's upcall mask. The kernel
// installs an IDT gate for vector that calls HandleUpcall and enables interrupts; the vector
// needs no EOI. Returns Xen's result.
func EnableUpcall(vector uint8) int64 {
	if vi := si.VcpuInfo(0); vi != 0 {
		hw.Store8(vi+si.VcpuUpcallMask, 0)
	}
	return hypercall.HVMSetParam(hypercall.HVM_PARAM_CALLBACK_IRQ, hypercall.CallbackViaVector|uint64(vector))
}

// SetHandler installs fn, called from HandleUpcall (interrupt context, kernel rules apply) for each
// port that fired, after the port is recorded. Call it once at boot, before EnableUpcall.
func SetHandler(fn func(port uint32)) { handler = fn }

// HandleUpcall collects the pending events of vCPU 0. The kernel calls it from the callback
// vector's interrupt handler.
//
//go:nosplit
func HandleUpcall() { handleUpcall(si.Addr()) }

//go:nosplit
func handleUpcall(s uintptr) {
	if s == 0 {
		return
	}
	upcalls.Add(1)
	vi := s + si.OffVcpuInfo // vCPU 0
	hw.Store8(vi+si.VcpuUpcallPending, 0)
	for {
		sel := hw.Swap64(vi+si.VcpuPendingSel, 0)
		if sel == 0 {
			return
		}
		for sel != 0 {
			i := uintptr(bits.TrailingZeros64(sel))
			sel &^= 1 << i
			pend := hw.Load64(s+si.OffEvtchnPending+8*i) &^ hw.Load64(s+si.OffEvtchnMask+8*i)
			for pend != 0 {
				j := uintptr(bits.TrailingZeros64(pend))
				pend &^= 1 << j
				bit := uint64(1) << j
				if hw.And64(s+si.OffEvtchnPending+8*i, ^bit)&bit == 0 {
					continue // consumed meanwhile by Wait
				}
				atomic.OrUint64(&fired[i], bit)
				if h := handler; h != nil {
					h(uint32(i*64 + j))
				}
			}
		}
	}
}

// Upcalls returns how many times HandleUpcall ran with shared_info mapped.
func Upcalls() uint64 { return upcalls.Load() }

// Fired reports whether port fired and was not consumed yet.
//
//go:nosplit
func Fired(port uint32) bool {
	if port >= NumPorts {
		return false
	}
	return atomic.LoadUint64(&fired[port/64])&(1<<(port%64)) != 0
}

// Consume reports whether port fired since the last Consume and clears the record.
//
//go:nosplit
func Consume(port uint32) bool {
	if port >= NumPorts {
		return false
	}
	bit := uint64(1) << (port % 64)
	return atomic.AndUint64(&fired[port/64], ^bit)&bit != 0
}

// takePending clears port's pending bit in shared_info and reports whether it was set: the path
// for events that no upcall collected (interrupts off, or the port masked).
//
//go:nosplit
func takePending(port uint32) bool {
	s := si.Addr()
	if s == 0 || port >= NumPorts {
		return false
	}
	bit := uint64(1) << (port % 64)
	return hw.And64(s+si.OffEvtchnPending+8*uintptr(port/64), ^bit)&bit != 0
}

// Wait returns when port has fired, consuming the event, or after at most about PollTimeout; it
// may return early. Callers re-check their condition in a loop. Without hypercalls (host tests)
// it returns at once.
//
//go:nosplit
func Wait(port uint32) {
	if Consume(port) || takePending(port) {
		return
	}
	var deadline uint64
	if pvclock.Ready() {
		deadline = uint64(pvclock.Nanotime()) + PollTimeout
	}
	if deadline == 0 || hypercall.SchedPoll(port, deadline) < 0 {
		hypercall.SchedYield()
	}
	if !Consume(port) {
		takePending(port)
	}
}

// evtchnPort is struct evtchn_send, evtchn_close and evtchn_unmask: one u32 port.
type evtchnPort struct{ Port uint32 }

// Send notifies the other end of port (EVTCHNOP_send).
//
//go:nosplit
func Send(port uint32) int64 {
	a := evtchnPort{port}
	return hypercall.EventChannel(EVTCHNOP_send, unsafe.Pointer(&a))
}

// Notify is Send without a result, in the shape the ring drivers take as their notify hook.
//
//go:nosplit
func Notify(port uint32) { Send(port) }

// Close closes port (EVTCHNOP_close).
func Close(port uint32) int64 {
	a := evtchnPort{port}
	return hypercall.EventChannel(EVTCHNOP_close, unsafe.Pointer(&a))
}

// Unmask clears port's mask bit; Xen re-raises the upcall if the port is pending
// (EVTCHNOP_unmask).
func Unmask(port uint32) int64 {
	a := evtchnPort{port}
	return hypercall.EventChannel(EVTCHNOP_unmask, unsafe.Pointer(&a))
}

// Mask sets port's mask bit in shared_info: the port no longer raises upcalls (Wait still sees it).
func Mask(port uint32) {
	if s := si.Addr(); s != 0 && port < NumPorts {
		hw.Or64(s+si.OffEvtchnMask+8*uintptr(port/64), 1<<(port%64))
	}
}

// allocUnbound is struct evtchn_alloc_unbound (8 bytes).
type allocUnbound struct {
	Dom       uint16
	RemoteDom uint16
	Port      uint32
}

// AllocUnbound allocates a port that domain remote may bind to (EVTCHNOP_alloc_unbound).
func AllocUnbound(remote uint16) (port uint32, rc int64) {
	a := allocUnbound{Dom: hypercall.DomidSelf, RemoteDom: remote}
	rc = hypercall.EventChannel(EVTCHNOP_alloc_unbound, unsafe.Pointer(&a))
	return a.Port, rc
}

// bindVirq is struct evtchn_bind_virq (12 bytes).
type bindVirq struct {
	Virq uint32
	Vcpu uint32
	Port uint32
}

// BindVirq binds virtual IRQ virq of vCPU vcpu to a new port (EVTCHNOP_bind_virq).
func BindVirq(virq, vcpu uint32) (port uint32, rc int64) {
	a := bindVirq{Virq: virq, Vcpu: vcpu}
	rc = hypercall.EventChannel(EVTCHNOP_bind_virq, unsafe.Pointer(&a))
	return a.Port, rc
}
