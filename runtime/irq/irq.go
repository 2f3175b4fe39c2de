// Package irq routes device interrupts to the relay server (runtime/relay): it hands out
// interrupt vectors, programs the I/O APIC for interrupt lines (GSIs), and, in interrupt context,
// quiets a level-triggered device, marks its line pending for the server, and ends the interrupt
// at the local APIC. The device's driver does the rest in program context, where the server
// runs it.
//
// Reference: Intel 82093AA I/O APIC datasheet (May 1996) §3.2 (IOREGSEL, IOWIN; IOAPICVER;
// IOREDTBL 0x10+2n, 0x11+2n); Intel SDM Vol. 3A §10.11 (message-signalled interrupts: address
// 0xFEExxxxx, data = vector), §10.8.5 (EOI); VIRTIO 1.2 §4.2.2 (InterruptStatus 0x60,
// InterruptACK 0x64), §4.1.4.5 (ISR status).
package irq

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// Device interrupts use vectors First..Last-1.
const (
	First = 0x30
	Last  = 0x70
)

// Vectors of the devices the kernel drives itself, in interrupt context (their handlers are
// installed with trap.SetHandler; they are not relayed): the console's.
const (
	ConsoleInputVector  = 0x70 // the 16550 UART's receive interrupt (QEMU)
	ConsoleOutputVector = 0x71 // the virtio console's used buffers (QEMU)
)

// ISA interrupt lines on I/O APIC inputs (QEMU's microvm, q35 and pc wire ISA IRQ n, other than
// the timer, to input n).
const ISAIRQCOM1 = 4

// I/O APIC registers (one I/O APIC at its PC address; microvm and q35 both have it there).
const (
	ioapicBase   = 0xFEC00000
	ioregsel     = 0x00
	iowin        = 0x10
	ioapicVer    = 0x01
	ioredtbl     = 0x10
	redMasked    = 1 << 16
	redLevel     = 1 << 15
	redActiveLow = 1 << 13
)

type route struct {
	used bool
	line uint8  // the server's interrupt line
	ack  uint8  // wire.Ack*
	addr uint64 // register the acknowledgement uses
}

var routes [Last - First]route

// eventRouter routes a Xen event channel to a line (runtime/platform/xen installs it); nil when
// the machine is not Xen.
var eventRouter func(line int, port uint64) int64

// SetEventRouter installs fn, which routes Xen event channel port to the server's interrupt
// line (relay_irq with gsi wire.GSIEventChannel). The Xen platform calls it once at boot.
func SetEventRouter(fn func(line int, port uint64) int64) { eventRouter = fn }

// Route gives the server's interrupt line (0..63) a vector; when gsi >= 0 it also programs I/O
// APIC input gsi, level-triggered and active-high (what microvm's virtio-mmio lines are), to
// raise it. With gsi wire.GSIEventChannel it routes Xen event channel addr to the line instead
// (SetEventRouter) and returns 0. ack says how to quiet the device in interrupt context (wire.Ack*, at addr). It
// returns the vector (for a message-signalled interrupt, the data a driver programs into the
// device) or a negative errno.
func Route(line, gsi int, ack uint8, addr uint64) int64 {
	if line < 0 || line >= wire.MaxIRQLines || ack > wire.AckPCIISR {
		return -errno.EINVAL
	}
	if gsi == wire.GSIEventChannel {
		if ack != wire.AckNone {
			return -errno.EINVAL
		}
		if eventRouter == nil {
			return -errno.ENODEV // not a Xen domain
		}
		return eventRouter(line, addr)
	}
	if addr >= 1<<32 && ack != wire.AckNone {
		return -errno.EINVAL // the acknowledgement register must be in the identity-mapped low 4 GiB
	}
	v := -1
	for i := range routes {
		if !routes[i].used {
			v = i
			break
		}
	}
	if v < 0 {
		return -errno.ENOSPC
	}
	if gsi >= 0 {
		if gsi > maxGSI() {
			return -errno.EINVAL
		}
		lo := ioapicRead(uint32(ioredtbl + 2*gsi))
		if lo&redMasked == 0 {
			return -errno.EBUSY // someone else's line
		}
	}
	routes[v] = route{used: true, line: uint8(line), ack: ack, addr: addr}
	vector := First + v
	if gsi >= 0 {
		ioapicWrite(uint32(ioredtbl+2*gsi+1), 0) // destination: APIC ID 0, the only CPU
		ioapicWrite(uint32(ioredtbl+2*gsi), uint32(vector)|redLevel)
	}
	return int64(vector)
}

// RouteKernel programs I/O APIC input gsi to raise vector, for an interrupt the kernel handles
// itself: edge-triggered and active-high (an ISA line, level false) or level-triggered and
// active-high (microvm's virtio-mmio lines). It reports false when the input does not exist or
// is already routed.
func RouteKernel(gsi int, vector uint8, level bool) bool {
	if gsi < 0 || gsi > maxGSI() || ioapicRead(uint32(ioredtbl+2*gsi))&redMasked == 0 {
		return false
	}
	lo := uint32(vector)
	if level {
		lo |= redLevel
	}
	ioapicWrite(uint32(ioredtbl+2*gsi+1), 0) // destination: APIC ID 0, the only CPU
	ioapicWrite(uint32(ioredtbl+2*gsi), lo)
	return true
}

// Handle serves device interrupt vector v in interrupt context. It reports whether v is a device
// vector.
func Handle(v uint64) bool {
	if v < First || v >= Last || !routes[v-First].used {
		return false
	}
	r := &routes[v-First]
	switch r.ack {
	case wire.AckVirtioMMIO:
		st := *arch.U32(uintptr(r.addr) + 0x60)
		*arch.U32(uintptr(r.addr) + 0x64) = st
	case wire.AckPCIISR:
		_ = *(*uint8)(arch.Ptr(uintptr(r.addr)))
	}
	relay.IRQ(int(r.line))
	ktime.EOI()
	return true
}

func maxGSI() int { return int(ioapicRead(ioapicVer) >> 16 & 0xff) }

func ioapicRead(reg uint32) uint32 {
	*arch.U32(ioapicBase + ioregsel) = reg
	return *arch.U32(ioapicBase + iowin)
}

func ioapicWrite(reg, v uint32) {
	*arch.U32(ioapicBase + ioregsel) = reg
	*arch.U32(ioapicBase + iowin) = v
}
