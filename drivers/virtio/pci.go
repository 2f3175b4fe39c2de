package virtio

// This file implements the modern virtio-pci transport (§4.1): the device's structures are
// found through vendor capabilities (§4.1.4) in its memory BARs, and its interrupt is an MSI-X
// message (§4.1.5.1.2), which reaches the local APIC without any I/O APIC or ACPI routing.

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/pci"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// PCI is a modern virtio-pci transport.
type PCI struct {
	fn             pci.Func
	typ            int
	common, device uintptr
	notify         uintptr
	notifyMult     uint32
}

// ProbePCI returns the modern virtio devices on PCI bus 0. Transitional devices that also offer
// the modern interface are included; legacy-only ones are reported as errors.
func ProbePCI() ([]*PCI, []error) {
	var out []*PCI
	var errs []error
	for _, f := range pci.Scan() {
		if f.Read16(pci.Vendor) != spec.PCIVendor {
			continue
		}
		p, err := newPCI(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errs
}

func newPCI(f pci.Func) (*PCI, error) {
	p := &PCI{fn: f}
	id := int(f.Read16(pci.DeviceID))
	switch {
	case id >= spec.PCIDeviceModern0 && id < spec.PCIDeviceModern0+0x40:
		p.typ = id - spec.PCIDeviceModern0
	case id >= 0x1000 && id < 0x1040: // transitional: the subsystem ID holds the type
		p.typ = int(f.Read16(0x2e))
	default:
		return nil, fmt.Errorf("%v: unknown virtio PCI device %#x", p, id)
	}
	for _, c := range f.Caps(pci.CapVendor) {
		bar, ok := f.BAR(int(f.Read8(c + spec.CapBar)))
		if !ok || bar >= 1<<32 {
			continue // an I/O BAR, or memory the identity map does not reach
		}
		addr := uintptr(bar) + uintptr(f.Read32(c+spec.CapOffset))
		switch f.Read8(c + spec.CapCfgType) {
		case spec.CfgTypeCommon:
			if p.common == 0 {
				p.common = addr
			}
		case spec.CfgTypeNotify:
			if p.notify == 0 {
				p.notify = addr
				p.notifyMult = f.Read32(c + spec.CapNotifyMult)
			}
		case spec.CfgTypeDevice:
			if p.device == 0 {
				p.device = addr
			}
		}
	}
	if p.common == 0 || p.notify == 0 {
		return nil, fmt.Errorf("%v: no modern virtio interface in memory below 4 GiB (legacy-only device? use disable-legacy=on)", p)
	}
	f.EnableMemory()
	return p, nil
}

func (p *PCI) String() string {
	return fmt.Sprintf("virtio-pci@%02x:%02x.%x", p.fn.Bus, p.fn.Dev, p.fn.Fn)
}

func (p *PCI) c8(off uintptr) uint8      { return *(*uint8)(arch.Ptr(p.common + off)) }
func (p *PCI) c16(off uintptr) uint16    { return *(*uint16)(arch.Ptr(p.common + off)) }
func (p *PCI) c32(off uintptr) uint32    { return *arch.U32(p.common + off) }
func (p *PCI) w8(off uintptr, v uint8)   { *(*uint8)(arch.Ptr(p.common + off)) = v }
func (p *PCI) w16(off uintptr, v uint16) { *(*uint16)(arch.Ptr(p.common + off)) = v }
func (p *PCI) w32(off uintptr, v uint32) { *arch.U32(p.common + off) = v }
func (p *PCI) w64(off uintptr, v uint64) {
	p.w32(off, uint32(v))
	p.w32(off+4, uint32(v>>32))
}

// DeviceID implements Transport.
func (p *PCI) DeviceID() int { return p.typ }

// Status implements Transport.
func (p *PCI) Status() uint8 { return p.c8(spec.CommonStatus) }

// SetStatus implements Transport.
func (p *PCI) SetStatus(s uint8) { p.w8(spec.CommonStatus, s) }

// DeviceFeatures implements Transport.
func (p *PCI) DeviceFeatures() uint64 {
	return readFeatures(p.w32, p.c32, spec.CommonDeviceFeatSel, spec.CommonDeviceFeat)
}

// SetDriverFeatures implements Transport.
func (p *PCI) SetDriverFeatures(f uint64) {
	writeFeatures(p.w32, spec.CommonDriverFeatSel, spec.CommonDriverFeat, f)
}

// QueueMax implements Transport.
func (p *PCI) QueueMax(q int) int {
	if q >= int(p.c16(spec.CommonNumQueues)) {
		return 0
	}
	p.w16(spec.CommonQueueSelect, uint16(q))
	if p.c16(spec.CommonQueueEnable) != 0 {
		return 0
	}
	return int(p.c16(spec.CommonQueueSize))
}

// EnableQueue implements Transport (§4.1.5.1.3).
func (p *PCI) EnableQueue(q *Queue) error {
	p.w16(spec.CommonQueueSelect, uint16(q.Index))
	p.w16(spec.CommonQueueSize, uint16(q.N))
	p.w64(spec.CommonQueueDesc, uint64(q.DescAddr))
	p.w64(spec.CommonQueueDriver, uint64(q.AvailAddr))
	p.w64(spec.CommonQueueDevice, uint64(q.UsedAddr))
	p.w16(spec.CommonQueueEnable, 1)
	return nil
}

// Notify implements Transport (§4.1.4.4: the queue's notification address).
func (p *PCI) Notify(q int) {
	p.w16(spec.CommonQueueSelect, uint16(q))
	off := uintptr(p.c16(spec.CommonQueueNotify)) * uintptr(p.notifyMult)
	*(*uint16)(arch.Ptr(p.notify + off)) = uint16(q)
}

// Config8 implements Transport.
func (p *PCI) Config8(off int) uint8 { return *(*uint8)(arch.Ptr(p.device + uintptr(off))) }

// Config16 implements Transport.
func (p *PCI) Config16(off int) uint16 { return *(*uint16)(arch.Ptr(p.device + uintptr(off))) }

// Config32 implements Transport.
func (p *PCI) Config32(off int) uint32 { return *arch.U32(p.device + uintptr(off)) }

// Interrupt implements Transport with MSI-X: table entry 0 carries a vector from the kernel,
// every queue uses it, configuration changes none.
func (p *PCI) Interrupt(line int, route RouteFunc) error {
	caps := p.fn.Caps(pci.CapMSIX)
	if len(caps) == 0 {
		return fmt.Errorf("%v: no MSI-X capability (legacy INTx interrupts are not supported)", p)
	}
	c := caps[0]
	tbl := p.fn.Read32(c + spec.MSIXTable)
	bar, ok := p.fn.BAR(int(tbl & 7))
	if !ok || bar >= 1<<32 {
		return fmt.Errorf("%v: MSI-X table not in memory below 4 GiB", p)
	}
	vector, err := route(line, -1, wire.AckNone, 0)
	if err != nil {
		return err
	}
	e := uintptr(bar) + uintptr(tbl&^7)
	*arch.U32(e + 0) = spec.MSIAddressAPIC // destination APIC ID 0, physical
	*arch.U32(e + 4) = 0
	*arch.U32(e + 8) = uint32(vector) // fixed delivery, edge
	*arch.U32(e + 12) = 0             // unmasked
	ctl := p.fn.Read16(c + spec.MSIXControl)
	p.fn.Write16(c+spec.MSIXControl, ctl&^spec.MSIXFuncMask|spec.MSIXEnable)
	p.w16(spec.CommonConfigMSIX, spec.NoVector)
	for q := 0; q < int(p.c16(spec.CommonNumQueues)); q++ {
		p.w16(spec.CommonQueueSelect, uint16(q))
		p.w16(spec.CommonQueueMSIX, 0)
		if p.c16(spec.CommonQueueMSIX) != 0 {
			return fmt.Errorf("%v: queue %d refused MSI-X vector 0", p, q)
		}
	}
	return nil
}
