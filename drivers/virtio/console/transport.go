package console

// This file reaches the device's registers in kernel context: virtio-mmio version 2 (VIRTIO 1.2
// §4.2.2; QEMU microvm's slots) or modern virtio-pci (§4.1.4; q35), found without allocating.
// drivers/virtio has the program-context transports, which allocate (interfaces, errors, slices).

import (
	"github.com/unikgen/unikgen/drivers/pci"
	"github.com/unikgen/unikgen/runtime/arch"
)

const (
	deviceConsole = 3 // virtio device type (§5)

	statusAcknowledge = 1
	statusDriver      = 2
	statusDriverOK    = 4
	statusFeaturesOK  = 8
	statusFailed      = 128

	featureVersion1 = 1 << 32
)

// virtio-mmio registers (§4.2.2), and QEMU microvm's slots (hw/i386/microvm.c: 8 transports of
// 512 bytes from 0xfeb00000, slot i on I/O APIC input 5+i).
const (
	mmioMagic           = 0x000
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
	mmioQueueDriverLow  = 0x090
	mmioQueueDeviceLow  = 0x0a0
	mmioConfig          = 0x100
	mmioMagicValue      = 0x74726976 // "virt"

	microvmBase  = 0xfeb00000
	microvmSlots = 8
	microvmSlot  = 512
	microvmGSI   = 5
)

// virtio-pci (§4.1.2, §4.1.4): IDs, capability fields, the common configuration structure.
const (
	pciVendorVirtio   = 0x1af4
	pciDeviceConsole  = 0x1040 + deviceConsole // modern
	pciTransitional   = 0x1003                 // transitional console
	pciSubsystemID    = 0x2e
	capCfgType        = 3
	capBar            = 4
	capOffset         = 8
	capNotifyMult     = 16
	cfgTypeCommon     = 1
	cfgTypeNotify     = 2
	cfgTypeDevice     = 4
	commonDevFeatSel  = 0x00
	commonDevFeat     = 0x04
	commonDrvFeatSel  = 0x08
	commonDrvFeat     = 0x0c
	commonConfigMSIX  = 0x10
	commonNumQueues   = 0x12
	commonStatus      = 0x14
	commonQueueSelect = 0x16
	commonQueueSize   = 0x18
	commonQueueMSIX   = 0x1a
	commonQueueEnable = 0x1c
	commonQueueNotify = 0x1e
	commonQueueDesc   = 0x20
	commonQueueDriver = 0x28
	commonQueueDevice = 0x30
	noVector          = 0xffff

	// MSI-X (PCI Express Base 4.0 §7.7.2): message control at cap+2, table offset/BIR at cap+4;
	// 16-byte table entries: address low, high, data, vector control.
	msixControl  = 2
	msixTable    = 4
	msixEnable   = 1 << 15
	msixFuncMask = 1 << 14
	msiAddress   = 0xFEE00000 // the local APIC of APIC ID 0, physical destination
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
	for i := microvmSlots - 1; i >= 0; i-- {
		b := uintptr(microvmBase + i*microvmSlot)
		if r32(b+mmioMagic) != mmioMagicValue || r32(b+mmioDeviceID) != deviceConsole {
			continue
		}
		if r32(b+mmioVersion) != 2 {
			return false, "virtio-mmio version 1 (QEMU needs -global virtio-mmio.force-legacy=false)"
		}
		transport, mmioBase, mmioGSI = transportMMIO, b, microvmGSI+i
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
			if vendor == pciVendorVirtio && isConsole(f) {
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
	return id == pciDeviceConsole || id == pciTransitional && f.Read16(pciSubsystemID) == deviceConsole
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
			bar, ok := f.BAR(int(f.Read8(off + capBar)))
			if ok && bar < 1<<32 {
				a := uintptr(bar) + uintptr(f.Read32(off+capOffset))
				switch f.Read8(off + capCfgType) {
				case cfgTypeCommon:
					if common == 0 {
						common = a
					}
				case cfgTypeNotify:
					if notifyBase == 0 {
						notifyBase, notifyMult = a, f.Read32(off+capNotifyMult)
					}
				case cfgTypeDevice:
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
		w32(mmioBase+mmioStatus, uint32(s))
	} else {
		w8(common+commonStatus, s)
	}
}

func status() uint8 {
	if transport == transportMMIO {
		return uint8(r32(mmioBase + mmioStatus))
	}
	return r8(common + commonStatus)
}

func deviceFeatures() uint64 {
	if transport == transportMMIO {
		w32(mmioBase+mmioDeviceFeatSel, 0)
		lo := r32(mmioBase + mmioDeviceFeatures)
		w32(mmioBase+mmioDeviceFeatSel, 1)
		return uint64(r32(mmioBase+mmioDeviceFeatures))<<32 | uint64(lo)
	}
	w32(common+commonDevFeatSel, 0)
	lo := r32(common + commonDevFeat)
	w32(common+commonDevFeatSel, 1)
	return uint64(r32(common+commonDevFeat))<<32 | uint64(lo)
}

func setDriverFeatures(f uint64) {
	if transport == transportMMIO {
		w32(mmioBase+mmioDriverFeatSel, 0)
		w32(mmioBase+mmioDriverFeatures, uint32(f))
		w32(mmioBase+mmioDriverFeatSel, 1)
		w32(mmioBase+mmioDriverFeatures, uint32(f>>32))
		return
	}
	w32(common+commonDrvFeatSel, 0)
	w32(common+commonDrvFeat, uint32(f))
	w32(common+commonDrvFeatSel, 1)
	w32(common+commonDrvFeat, uint32(f>>32))
}

// config32 reads the device-specific configuration field at off.
func config32(off uintptr) uint32 {
	if transport == transportMMIO {
		return r32(mmioBase + mmioConfig + off)
	}
	return r32(deviceCfg + off)
}

// queueMax returns the largest size of queue q, 0 when the device has no such queue (or it is in
// use already).
func queueMax(q int) uint16 {
	if transport == transportMMIO {
		w32(mmioBase+mmioQueueSel, uint32(q))
		if r32(mmioBase+mmioQueueReady) != 0 {
			return 0
		}
		return uint16(r32(mmioBase + mmioQueueNumMax))
	}
	if q >= int(r16(common+commonNumQueues)) {
		return 0
	}
	w16(common+commonQueueSelect, uint16(q))
	if r16(common+commonQueueEnable) != 0 {
		return 0
	}
	return r16(common + commonQueueSize)
}

// enableQueue gives the device queue q's size and areas (§4.2.3.2, §4.1.5.1.3) and enables it;
// on PCI, msix is its MSI-X table entry (noVector: no interrupts).
func enableQueue(q *vring, msix uint16) bool {
	if transport == transportMMIO {
		b := mmioBase
		w32(b+mmioQueueSel, uint32(q.index))
		w32(b+mmioQueueNum, uint32(q.size))
		for i, a := range [3]uintptr{q.desc, q.avail, q.used} {
			reg := b + [3]uintptr{mmioQueueDescLow, mmioQueueDriverLow, mmioQueueDeviceLow}[i]
			w32(reg, uint32(a))
			w32(reg+4, uint32(uint64(a)>>32))
		}
		w32(b+mmioQueueReady, 1)
		return r32(b+mmioQueueReady) == 1
	}
	c := common
	w16(c+commonQueueSelect, uint16(q.index))
	w16(c+commonQueueSize, q.size)
	for i, a := range [3]uintptr{q.desc, q.avail, q.used} {
		reg := c + [3]uintptr{commonQueueDesc, commonQueueDriver, commonQueueDevice}[i]
		w32(reg, uint32(a))
		w32(reg+4, uint32(uint64(a)>>32))
	}
	w16(c+commonQueueMSIX, msix)
	if r16(c+commonQueueMSIX) != msix {
		return false
	}
	w16(c+commonQueueEnable, 1)
	return true
}

// notify tells the device that queue q has new buffers.
func notify(q int) {
	if transport == transportTest {
		testNotify(q)
		return
	}
	if transport == transportMMIO {
		w32(mmioBase+mmioQueueNotify, uint32(q))
		return
	}
	w16(common+commonQueueSelect, uint16(q))
	off := uintptr(r16(common+commonQueueNotify)) * uintptr(notifyMult)
	w16(notifyBase+off, uint16(q))
}

// setupMSIX points MSI-X table entry 0 at vector on the local APIC and turns MSI-X on, with no
// vector for configuration changes.
func setupMSIX(vector uint8) bool {
	f := pciFunc
	tbl := f.Read32(msixCap + msixTable)
	bar, ok := f.BAR(int(tbl & 7))
	if !ok || bar >= 1<<32 {
		return false
	}
	e := uintptr(bar) + uintptr(tbl&^7)
	w32(e+0, msiAddress)
	w32(e+4, 0)
	w32(e+8, uint32(vector)) // fixed delivery, edge
	w32(e+12, 0)             // unmasked
	ctl := f.Read16(msixCap + msixControl)
	f.Write16(msixCap+msixControl, ctl&^msixFuncMask|msixEnable)
	w16(common+commonConfigMSIX, noVector)
	return true
}

// ackInterrupt quiets the device's interrupt: virtio-mmio's level-triggered line stays raised
// until InterruptStatus is acknowledged (§4.2.2); an MSI-X message needs nothing.
func ackInterrupt() {
	if transport == transportMMIO {
		w32(mmioBase+mmioInterruptACK, r32(mmioBase+mmioInterruptStatus))
	}
}
