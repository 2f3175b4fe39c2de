package virtio

// This file implements the modern virtio-pci transport (§4.1): the device's structures are
// found through vendor capabilities (§4.1.4) in its memory BARs, and its interrupt is an MSI-X
// message (§4.1.5.1.2), which reaches the local APIC without any I/O APIC or ACPI routing.

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/pci"
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// virtio_pci_cap (§4.1.4): cfg_type at +3, bar at +4, offset at +8, length at +12; the notify
// capability adds notify_off_multiplier at +16.
const (
	capCfgType       = 3
	capBar           = 4
	capOffset        = 8
	capNotifyMult    = 16
	cfgTypeCommon    = 1
	cfgTypeNotify    = 2
	cfgTypeDevice    = 4
	pciVendorVirtio  = 0x1af4
	pciDeviceModern0 = 0x1040 // + device type (§4.1.2.1)
)

// Common configuration structure (§4.1.4.3).
const (
	commonDeviceFeatSel = 0x00
	commonDeviceFeat    = 0x04
	commonDriverFeatSel = 0x08
	commonDriverFeat    = 0x0c
	commonConfigMSIX    = 0x10
	commonNumQueues     = 0x12
	commonStatus        = 0x14
	commonQueueSelect   = 0x16
	commonQueueSize     = 0x18
	commonQueueMSIX     = 0x1a
	commonQueueEnable   = 0x1c
	commonQueueNotify   = 0x1e
	commonQueueDesc     = 0x20
	commonQueueDriver   = 0x28
	commonQueueDevice   = 0x30

	noVector = 0xffff
)

// MSI-X (PCIe Base 4.0 §7.7.2): message control at cap+2 (enable bit 15, function mask bit 14),
// table offset and BIR at cap+4; table entries of 16 bytes: address low, address high, data,
// vector control (mask bit 0).
const (
	msixControl    = 2
	msixTable      = 4
	msixEnable     = 1 << 15
	msixFuncMask   = 1 << 14
	msiAddressAPIC = 0xFEE00000
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
		if f.Read16(pci.Vendor) != pciVendorVirtio {
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
	case id >= pciDeviceModern0 && id < pciDeviceModern0+0x40:
		p.typ = id - pciDeviceModern0
	case id >= 0x1000 && id < 0x1040: // transitional: the subsystem ID holds the type
		p.typ = int(f.Read16(0x2e))
	default:
		return nil, fmt.Errorf("%v: unknown virtio PCI device %#x", p, id)
	}
	for _, c := range f.Caps(pci.CapVendor) {
		bar, ok := f.BAR(int(f.Read8(c + capBar)))
		if !ok || bar >= 1<<32 {
			continue // an I/O BAR, or memory the identity map does not reach
		}
		addr := uintptr(bar) + uintptr(f.Read32(c+capOffset))
		switch f.Read8(c + capCfgType) {
		case cfgTypeCommon:
			if p.common == 0 {
				p.common = addr
			}
		case cfgTypeNotify:
			if p.notify == 0 {
				p.notify = addr
				p.notifyMult = f.Read32(c + capNotifyMult)
			}
		case cfgTypeDevice:
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
func (p *PCI) Status() uint8 { return p.c8(commonStatus) }

// SetStatus implements Transport.
func (p *PCI) SetStatus(s uint8) { p.w8(commonStatus, s) }

// DeviceFeatures implements Transport.
func (p *PCI) DeviceFeatures() uint64 {
	p.w32(commonDeviceFeatSel, 0)
	lo := p.c32(commonDeviceFeat)
	p.w32(commonDeviceFeatSel, 1)
	return uint64(p.c32(commonDeviceFeat))<<32 | uint64(lo)
}

// SetDriverFeatures implements Transport.
func (p *PCI) SetDriverFeatures(f uint64) {
	p.w32(commonDriverFeatSel, 0)
	p.w32(commonDriverFeat, uint32(f))
	p.w32(commonDriverFeatSel, 1)
	p.w32(commonDriverFeat, uint32(f>>32))
}

// QueueMax implements Transport.
func (p *PCI) QueueMax(q int) int {
	if q >= int(p.c16(commonNumQueues)) {
		return 0
	}
	p.w16(commonQueueSelect, uint16(q))
	if p.c16(commonQueueEnable) != 0 {
		return 0
	}
	return int(p.c16(commonQueueSize))
}

// EnableQueue implements Transport (§4.1.5.1.3).
func (p *PCI) EnableQueue(q *Queue) error {
	p.w16(commonQueueSelect, uint16(q.Index))
	p.w16(commonQueueSize, uint16(q.N))
	p.w64(commonQueueDesc, uint64(q.DescAddr))
	p.w64(commonQueueDriver, uint64(q.AvailAddr))
	p.w64(commonQueueDevice, uint64(q.UsedAddr))
	p.w16(commonQueueEnable, 1)
	return nil
}

// Notify implements Transport (§4.1.4.4: the queue's notification address).
func (p *PCI) Notify(q int) {
	p.w16(commonQueueSelect, uint16(q))
	off := uintptr(p.c16(commonQueueNotify)) * uintptr(p.notifyMult)
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
	tbl := p.fn.Read32(c + msixTable)
	bar, ok := p.fn.BAR(int(tbl & 7))
	if !ok || bar >= 1<<32 {
		return fmt.Errorf("%v: MSI-X table not in memory below 4 GiB", p)
	}
	vector, err := route(line, -1, wire.AckNone, 0)
	if err != nil {
		return err
	}
	e := uintptr(bar) + uintptr(tbl&^7)
	*arch.U32(e + 0) = msiAddressAPIC // destination APIC ID 0, physical
	*arch.U32(e + 4) = 0
	*arch.U32(e + 8) = uint32(vector) // fixed delivery, edge
	*arch.U32(e + 12) = 0             // unmasked
	ctl := p.fn.Read16(c + msixControl)
	p.fn.Write16(c+msixControl, ctl&^msixFuncMask|msixEnable)
	p.w16(commonConfigMSIX, noVector)
	for q := 0; q < int(p.c16(commonNumQueues)); q++ {
		p.w16(commonQueueSelect, uint16(q))
		p.w16(commonQueueMSIX, 0)
		if p.c16(commonQueueMSIX) != 0 {
			return fmt.Errorf("%v: queue %d refused MSI-X vector 0", p, q)
		}
	}
	return nil
}
