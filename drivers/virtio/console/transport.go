package console

// This file reaches the device's registers in kernel context: virtio-mmio version 2 (VIRTIO 1.2
// §4.2.2; QEMU microvm's slots) or modern virtio-pci (§4.1.4; q35), found without allocating.
// drivers/virtio has the program-context transports, which allocate (interfaces, errors, slices).

import (
	"github.com/unikgen/unikgen/drivers/pci"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
)

// The console's virtio-pci device IDs (§4.1.2.1).
const (
	pciDeviceConsole = spec.PCIDeviceModern0 + spec.DeviceConsole // modern
	pciTransitional  = 0x1003                                     // transitional console
)

// Transports.
const (
	transportNone = iota
	transportMMIO
	transportPCI
	transportTest // host tests: notify calls testNotify
)

// testNotify is the device of host tests.
var testNotify func(q int)

// The device's transport, found by probe.
var (
	transport  int
	mmioBase   uintptr
	mmioGSI    int
	pciFunc    pci.Func
	common     uintptr // virtio-pci common configuration
	notifyBase uintptr
	notifyMult uint32
	deviceCfg  uintptr
	msixCap    uint8
)

func r32(a uintptr) uint32    { return *arch.U32(a) }
func w32(a uintptr, v uint32) { *arch.U32(a) = v }
func r16(a uintptr) uint16    { return *(*uint16)(arch.Ptr(a)) }
func w16(a uintptr, v uint16) { *(*uint16)(arch.Ptr(a)) = v }
func r8(a uintptr) uint8      { return *(*uint8)(arch.Ptr(a)) }
func w8(a uintptr, v uint8)   { *(*uint8)(arch.Ptr(a)) = v }

// probe finds a virtio console: in microvm's virtio-mmio slots (version 2), then on PCI bus 0
// (modern interface in memory below 4 GiB). It reports whether it found one and, when it found
// a device it cannot use, why.
func probe() (found bool, why string) {
	for i := spec.MicrovmSlots - 1; i >= 0; i-- {
		b := uintptr(spec.MicrovmBase + i*spec.MicrovmSlot)
		if r32(b+spec.MMIOMagic) != spec.MMIOMagicValue || r32(b+spec.MMIODeviceID) != spec.DeviceConsole {
			continue
		}
		if r32(b+spec.MMIOVersion) != 2 {
			return false, "virtio-mmio version 1 (QEMU needs -global virtio-mmio.force-legacy=false)"
		}
		transport, mmioBase, mmioGSI = transportMMIO, b, spec.MicrovmGSI+i
		return true, ""
	}
	for dev := uint8(0); dev < 32; dev++ {
		for fn := uint8(0); fn < 8; fn++ {
			f := pci.Func{Dev: dev, Fn: fn}
			vendor := f.Read16(pci.Vendor)
			if vendor == 0xffff {
				if fn == 0 {
					break
				}
				continue
			}
			if vendor == spec.PCIVendor && isConsole(f) {
				return probePCI(f)
			}
			if fn == 0 && f.Read8(pci.HeaderType)&0x80 == 0 {
				break // not a multi-function device
			}
		}
	}
	return false, ""
}

func isConsole(f pci.Func) bool {
	id := f.Read16(pci.DeviceID)
	return id == pciDeviceConsole || id == pciTransitional && f.Read16(spec.PCISubsystemID) == spec.DeviceConsole
}

// probePCI finds the structures of virtio-pci function f through its capabilities.
func probePCI(f pci.Func) (bool, string) {
	if f.Read16(pci.Status)&pci.StatusCaps == 0 {
		return false, "virtio-pci device without capabilities"
	}
	off := f.Read8(pci.CapPtr) &^ 3
	for i := 0; off != 0 && i < 48; i++ {
		switch f.Read8(off) {
		case pci.CapMSIX:
			msixCap = off
		case pci.CapVendor:
			bar, ok := f.BAR(int(f.Read8(off + spec.CapBar)))
			if ok && bar < 1<<32 {
				a := uintptr(bar) + uintptr(f.Read32(off+spec.CapOffset))
				switch f.Read8(off + spec.CapCfgType) {
				case spec.CfgTypeCommon:
					if common == 0 {
						common = a
					}
				case spec.CfgTypeNotify:
					if notifyBase == 0 {
						notifyBase, notifyMult = a, f.Read32(off+spec.CapNotifyMult)
					}
				case spec.CfgTypeDevice:
					if deviceCfg == 0 {
						deviceCfg = a
					}
				}
			}
		}
		off = f.Read8(off+1) &^ 3
	}
	if common == 0 || notifyBase == 0 || deviceCfg == 0 {
		return false, "virtio-pci console without a modern interface in memory below 4 GiB (use disable-legacy=on)"
	}
	if msixCap == 0 {
		return false, "virtio-pci console without MSI-X"
	}
	transport, pciFunc = transportPCI, f
	f.EnableMemory()
	return true, ""
}

func setStatus(s uint8) {
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIOStatus, uint32(s))
	} else {
		w8(common+spec.CommonStatus, s)
	}
}

func status() uint8 {
	if transport == transportMMIO {
		return uint8(r32(mmioBase + spec.MMIOStatus))
	}
	return r8(common + spec.CommonStatus)
}

func deviceFeatures() uint64 {
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIODeviceFeatSel, 0)
		lo := r32(mmioBase + spec.MMIODeviceFeatures)
		w32(mmioBase+spec.MMIODeviceFeatSel, 1)
		return uint64(r32(mmioBase+spec.MMIODeviceFeatures))<<32 | uint64(lo)
	}
	w32(common+spec.CommonDeviceFeatSel, 0)
	lo := r32(common + spec.CommonDeviceFeat)
	w32(common+spec.CommonDeviceFeatSel, 1)
	return uint64(r32(common+spec.CommonDeviceFeat))<<32 | uint64(lo)
}

func setDriverFeatures(f uint64) {
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIODriverFeatSel, 0)
		w32(mmioBase+spec.MMIODriverFeatures, uint32(f))
		w32(mmioBase+spec.MMIODriverFeatSel, 1)
		w32(mmioBase+spec.MMIODriverFeatures, uint32(f>>32))
		return
	}
	w32(common+spec.CommonDriverFeatSel, 0)
	w32(common+spec.CommonDriverFeat, uint32(f))
	w32(common+spec.CommonDriverFeatSel, 1)
	w32(common+spec.CommonDriverFeat, uint32(f>>32))
}

// config32 reads the device-specific configuration field at off.
func config32(off uintptr) uint32 {
	if transport == transportMMIO {
		return r32(mmioBase + spec.MMIOConfig + off)
	}
	return r32(deviceCfg + off)
}

// queueMax returns the largest size of queue q, 0 when the device has no such queue (or it is in
// use already).
func queueMax(q int) uint16 {
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIOQueueSel, uint32(q))
		if r32(mmioBase+spec.MMIOQueueReady) != 0 {
			return 0
		}
		return uint16(r32(mmioBase + spec.MMIOQueueNumMax))
	}
	if q >= int(r16(common+spec.CommonNumQueues)) {
		return 0
	}
	w16(common+spec.CommonQueueSelect, uint16(q))
	if r16(common+spec.CommonQueueEnable) != 0 {
		return 0
	}
	return r16(common + spec.CommonQueueSize)
}

// enableQueue gives the device queue q's size and areas (§4.2.3.2, §4.1.5.1.3) and enables it;
// on PCI, msix is its MSI-X table entry (spec.NoVector: no interrupts).
func enableQueue(q *vring, msix uint16) bool {
	if transport == transportMMIO {
		b := mmioBase
		w32(b+spec.MMIOQueueSel, uint32(q.index))
		w32(b+spec.MMIOQueueNum, uint32(q.size))
		for i, a := range [3]uintptr{q.desc, q.avail, q.used} {
			reg := b + [3]uintptr{spec.MMIOQueueDescLow, spec.MMIOQueueDriverLow, spec.MMIOQueueDeviceLow}[i]
			w32(reg, uint32(a))
			w32(reg+4, uint32(uint64(a)>>32))
		}
		w32(b+spec.MMIOQueueReady, 1)
		return r32(b+spec.MMIOQueueReady) == 1
	}
	c := common
	w16(c+spec.CommonQueueSelect, uint16(q.index))
	w16(c+spec.CommonQueueSize, q.size)
	for i, a := range [3]uintptr{q.desc, q.avail, q.used} {
		reg := c + [3]uintptr{spec.CommonQueueDesc, spec.CommonQueueDriver, spec.CommonQueueDevice}[i]
		w32(reg, uint32(a))
		w32(reg+4, uint32(uint64(a)>>32))
	}
	w16(c+spec.CommonQueueMSIX, msix)
	if r16(c+spec.CommonQueueMSIX) != msix {
		return false
	}
	w16(c+spec.CommonQueueEnable, 1)
	return true
}

// notify tells the device that queue q has new buffers.
func notify(q int) {
	if transport == transportTest {
		testNotify(q)
		return
	}
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIOQueueNotify, uint32(q))
		return
	}
	w16(common+spec.CommonQueueSelect, uint16(q))
	off := uintptr(r16(common+spec.CommonQueueNotify)) * uintptr(notifyMult)
	w16(notifyBase+off, uint16(q))
}

// setupMSIX points MSI-X table entry 0 at vector on the local APIC and turns MSI-X on, with no
// vector for configuration changes.
func setupMSIX(vector uint8) bool {
	f := pciFunc
	tbl := f.Read32(msixCap + spec.MSIXTable)
	bar, ok := f.BAR(int(tbl & 7))
	if !ok || bar >= 1<<32 {
		return false
	}
	e := uintptr(bar) + uintptr(tbl&^7)
	w32(e+0, spec.MSIAddressAPIC)
	w32(e+4, 0)
	w32(e+8, uint32(vector)) // fixed delivery, edge
	w32(e+12, 0)             // unmasked
	ctl := f.Read16(msixCap + spec.MSIXControl)
	f.Write16(msixCap+spec.MSIXControl, ctl&^spec.MSIXFuncMask|spec.MSIXEnable)
	w16(common+spec.CommonConfigMSIX, spec.NoVector)
	return true
}

// ackInterrupt quiets the device's interrupt: virtio-mmio's level-triggered line stays raised
// until InterruptStatus is acknowledged (§4.2.2); an MSI-X message needs nothing.
func ackInterrupt() {
	if transport == transportMMIO {
		w32(mmioBase+spec.MMIOInterruptACK, r32(mmioBase+spec.MMIOInterruptStatus))
	}
}
