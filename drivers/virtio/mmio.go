package virtio

// This file implements the virtio-mmio transport, version 2 (§4.2.2), and the probing of QEMU
// microvm's transport slots.

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/relay/wire"
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
	for i := spec.MicrovmSlots - 1; i >= 0; i-- {
		m := &MMIO{Base: spec.MicrovmBase + uintptr(i)*spec.MicrovmSlot, GSI: spec.MicrovmGSI + i}
		if m.r32(spec.MMIOMagic) != spec.MMIOMagicValue || m.r32(spec.MMIODeviceID) == 0 {
			continue
		}
		if v := m.r32(spec.MMIOVersion); v != 2 {
			errs = append(errs, fmt.Errorf("%v: virtio-mmio version %d, not 2 (QEMU needs -global virtio-mmio.force-legacy=false)", m, v))
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

func (m *MMIO) String() string { return fmt.Sprintf("virtio-mmio@%#x", m.Base) }

// DeviceID implements Transport.
func (m *MMIO) DeviceID() int { return int(m.r32(spec.MMIODeviceID)) }

// Status implements Transport.
func (m *MMIO) Status() uint8 { return uint8(m.r32(spec.MMIOStatus)) }

// SetStatus implements Transport.
func (m *MMIO) SetStatus(s uint8) { m.w32(spec.MMIOStatus, uint32(s)) }

// DeviceFeatures implements Transport.
func (m *MMIO) DeviceFeatures() uint64 {
	return readFeatures(m.w32, m.r32, spec.MMIODeviceFeatSel, spec.MMIODeviceFeatures)
}

// SetDriverFeatures implements Transport.
func (m *MMIO) SetDriverFeatures(f uint64) {
	writeFeatures(m.w32, spec.MMIODriverFeatSel, spec.MMIODriverFeatures, f)
}

// QueueMax implements Transport.
func (m *MMIO) QueueMax(q int) int {
	m.w32(spec.MMIOQueueSel, uint32(q))
	if m.r32(spec.MMIOQueueReady) != 0 {
		return 0
	}
	return int(m.r32(spec.MMIOQueueNumMax))
}

// EnableQueue implements Transport (§4.2.3.2).
func (m *MMIO) EnableQueue(q *Queue) error {
	m.w32(spec.MMIOQueueSel, uint32(q.Index))
	m.w32(spec.MMIOQueueNum, uint32(q.N))
	for _, r := range []struct {
		lo, hi uintptr
		addr   uintptr
	}{{spec.MMIOQueueDescLow, spec.MMIOQueueDescHigh, q.DescAddr}, {spec.MMIOQueueDriverLow, spec.MMIOQueueDriverHigh, q.AvailAddr},
		{spec.MMIOQueueDeviceLow, spec.MMIOQueueDeviceHigh, q.UsedAddr}} {
		m.w32(r.lo, uint32(r.addr))
		m.w32(r.hi, uint32(uint64(r.addr)>>32))
	}
	m.w32(spec.MMIOQueueReady, 1)
	if m.r32(spec.MMIOQueueReady) != 1 {
		return fmt.Errorf("%v: queue %d not ready", m, q.Index)
	}
	return nil
}

// Notify implements Transport.
func (m *MMIO) Notify(q int) { m.w32(spec.MMIOQueueNotify, uint32(q)) }

// Config8 implements Transport.
func (m *MMIO) Config8(off int) uint8 {
	return *(*uint8)(arch.Ptr(m.Base + spec.MMIOConfig + uintptr(off)))
}

// Config16 implements Transport.
func (m *MMIO) Config16(off int) uint16 {
	return *(*uint16)(arch.Ptr(m.Base + spec.MMIOConfig + uintptr(off)))
}

// Config32 implements Transport.
func (m *MMIO) Config32(off int) uint32 { return *arch.U32(m.Base + spec.MMIOConfig + uintptr(off)) }

// Interrupt implements Transport: the slot's I/O APIC input, level-triggered; the kernel
// acknowledges InterruptStatus into InterruptACK before it wakes the server.
func (m *MMIO) Interrupt(line int, route RouteFunc) error {
	_, err := route(line, m.GSI, wire.AckVirtioMMIO, m.Base)
	return err
}
