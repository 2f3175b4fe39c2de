package virtio

// This file implements the virtio-mmio transport, version 2 (§4.2.2), and the probing of QEMU
// microvm's transport slots.

import (
	"fmt"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// virtio-mmio registers (§4.2.2). Control registers take 32-bit accesses only.
const (
	mmioMagic           = 0x000 // "virt"
	mmioVersion         = 0x004
	mmioDeviceID        = 0x008
	mmioDeviceFeatures  = 0x010
	mmioDeviceFeatSel   = 0x014
	mmioDriverFeatures  = 0x020
	mmioDriverFeatSel   = 0x024
	mmioQueueSel        = 0x030
	mmioQueueNumMax     = 0x034
	mmioQueueNum        = 0x038
	mmioQueueReady      = 0x044
	mmioQueueNotify     = 0x050
	mmioInterruptStatus = 0x060
	mmioInterruptACK    = 0x064
	mmioStatus          = 0x070
	mmioQueueDescLow    = 0x080
	mmioQueueDescHigh   = 0x084
	mmioQueueDriverLow  = 0x090
	mmioQueueDriverHigh = 0x094
	mmioQueueDeviceLow  = 0x0a0
	mmioQueueDeviceHigh = 0x0a4
	mmioConfig          = 0x100

	mmioMagicValue = 0x74726976
)

// QEMU microvm's virtio-mmio transports with ACPI off (hw/i386/microvm.c): 8 slots of 512 bytes
// from 0xfeb00000, slot i on I/O APIC input 5+i. QEMU fills them from the highest slot down.
const (
	MicrovmBase  = 0xfeb00000
	MicrovmSlots = 8
	MicrovmSlot  = 512
	MicrovmGSI   = 5
)

// MMIO is a virtio-mmio transport at a physical address (identity-mapped below 4 GiB).
type MMIO struct {
	Base uintptr
	GSI  int // its I/O APIC input
}

func (m *MMIO) r32(off uintptr) uint32    { return *arch.U32(m.Base + off) }
func (m *MMIO) w32(off uintptr, v uint32) { *arch.U32(m.Base + off) = v }

// ProbeMicrovm returns the transports of QEMU microvm's slots that hold a modern device.
// Legacy devices (version 1) are reported as errors: they need
// -global virtio-mmio.force-legacy=false.
func ProbeMicrovm() ([]*MMIO, []error) {
	var out []*MMIO
	var errs []error
	for i := MicrovmSlots - 1; i >= 0; i-- {
		m := &MMIO{Base: MicrovmBase + uintptr(i)*MicrovmSlot, GSI: MicrovmGSI + i}
		if m.r32(mmioMagic) != mmioMagicValue || m.r32(mmioDeviceID) == 0 {
			continue
		}
		if v := m.r32(mmioVersion); v != 2 {
			errs = append(errs, fmt.Errorf("%v: virtio-mmio version %d, not 2 (QEMU needs -global virtio-mmio.force-legacy=false)", m, v))
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

func (m *MMIO) String() string { return fmt.Sprintf("virtio-mmio@%#x", m.Base) }

// DeviceID implements Transport.
func (m *MMIO) DeviceID() int { return int(m.r32(mmioDeviceID)) }

// Status implements Transport.
func (m *MMIO) Status() uint8 { return uint8(m.r32(mmioStatus)) }

// SetStatus implements Transport.
func (m *MMIO) SetStatus(s uint8) { m.w32(mmioStatus, uint32(s)) }

// DeviceFeatures implements Transport.
func (m *MMIO) DeviceFeatures() uint64 {
	m.w32(mmioDeviceFeatSel, 0)
	lo := m.r32(mmioDeviceFeatures)
	m.w32(mmioDeviceFeatSel, 1)
	return uint64(m.r32(mmioDeviceFeatures))<<32 | uint64(lo)
}

// SetDriverFeatures implements Transport.
func (m *MMIO) SetDriverFeatures(f uint64) {
	m.w32(mmioDriverFeatSel, 0)
	m.w32(mmioDriverFeatures, uint32(f))
	m.w32(mmioDriverFeatSel, 1)
	m.w32(mmioDriverFeatures, uint32(f>>32))
}

// QueueMax implements Transport.
func (m *MMIO) QueueMax(q int) int {
	m.w32(mmioQueueSel, uint32(q))
	if m.r32(mmioQueueReady) != 0 {
		return 0
	}
	return int(m.r32(mmioQueueNumMax))
}

// EnableQueue implements Transport (§4.2.3.2).
func (m *MMIO) EnableQueue(q *Queue) error {
	m.w32(mmioQueueSel, uint32(q.Index))
	m.w32(mmioQueueNum, uint32(q.N))
	for _, r := range []struct {
		lo, hi uintptr
		addr   uintptr
	}{{mmioQueueDescLow, mmioQueueDescHigh, q.DescAddr}, {mmioQueueDriverLow, mmioQueueDriverHigh, q.AvailAddr},
		{mmioQueueDeviceLow, mmioQueueDeviceHigh, q.UsedAddr}} {
		m.w32(r.lo, uint32(r.addr))
		m.w32(r.hi, uint32(uint64(r.addr)>>32))
	}
	m.w32(mmioQueueReady, 1)
	if m.r32(mmioQueueReady) != 1 {
		return fmt.Errorf("%v: queue %d not ready", m, q.Index)
	}
	return nil
}

// Notify implements Transport.
func (m *MMIO) Notify(q int) { m.w32(mmioQueueNotify, uint32(q)) }

// Config8 implements Transport.
func (m *MMIO) Config8(off int) uint8 { return *(*uint8)(arch.Ptr(m.Base + mmioConfig + uintptr(off))) }

// Config16 implements Transport.
func (m *MMIO) Config16(off int) uint16 {
	return *(*uint16)(arch.Ptr(m.Base + mmioConfig + uintptr(off)))
}

// Config32 implements Transport.
func (m *MMIO) Config32(off int) uint32 { return *arch.U32(m.Base + mmioConfig + uintptr(off)) }

// Interrupt implements Transport: the slot's I/O APIC input, level-triggered; the kernel
// acknowledges InterruptStatus into InterruptACK before it wakes the server.
func (m *MMIO) Interrupt(line int, route RouteFunc) error {
	_, err := route(line, m.GSI, wire.AckVirtioMMIO, m.Base)
	return err
}
