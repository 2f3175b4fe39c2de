// Package spec names the numbers of the VIRTIO 1.2 specification (OASIS, 2022) that unikgen's
// virtio drivers share: the program-context transports and queues of drivers/virtio and the
// kernel-context console of drivers/virtio/console. It holds constants only, so either side can
// import it at no cost.
package spec

// Device status bits (§2.1).
const (
	StatusAcknowledge      = 1
	StatusDriver           = 2
	StatusDriverOK         = 4
	StatusFeaturesOK       = 8
	StatusDeviceNeedsReset = 64
	StatusFailed           = 128
)

// Reserved feature bits (§6).
const (
	FeatureIndirectDesc = 1 << 28
	FeatureEventIdx     = 1 << 29
	FeatureVersion1     = 1 << 32
	FeatureAccessPlat   = 1 << 33
	FeatureRingPacked   = 1 << 34
)

// Device types (§5).
const (
	DeviceNet     = 1
	DeviceBlock   = 2
	DeviceConsole = 3
	DeviceEntropy = 4
)

// Split virtqueue layout (§2.7): 16-byte descriptors (address, length, flags, next), the
// available and used rings (flags, index, then entries; used entries are 8 bytes).
const (
	DescSize  = 16
	DescAddr  = 0
	DescLen   = 8
	DescFlags = 12
	DescNext  = 14

	DescFlagNext  = 1
	DescFlagWrite = 2

	RingFlags = 0
	RingIdx   = 2
	RingStart = 4
	UsedElem  = 8

	AvailNoInterrupt = 1
	UsedNoNotify     = 1
)

// virtio-mmio registers, version 2 (§4.2.2). Control registers take 32-bit accesses only.
const (
	MMIOMagic           = 0x000
	MMIOVersion         = 0x004
	MMIODeviceID        = 0x008
	MMIODeviceFeatures  = 0x010
	MMIODeviceFeatSel   = 0x014
	MMIODriverFeatures  = 0x020
	MMIODriverFeatSel   = 0x024
	MMIOQueueSel        = 0x030
	MMIOQueueNumMax     = 0x034
	MMIOQueueNum        = 0x038
	MMIOQueueReady      = 0x044
	MMIOQueueNotify     = 0x050
	MMIOInterruptStatus = 0x060
	MMIOInterruptACK    = 0x064
	MMIOStatus          = 0x070
	MMIOQueueDescLow    = 0x080
	MMIOQueueDescHigh   = 0x084
	MMIOQueueDriverLow  = 0x090
	MMIOQueueDriverHigh = 0x094
	MMIOQueueDeviceLow  = 0x0a0
	MMIOQueueDeviceHigh = 0x0a4
	MMIOConfig          = 0x100

	MMIOMagicValue = 0x74726976 // "virt"
)

// QEMU microvm's virtio-mmio transports with ACPI off (hw/i386/microvm.c): 8 slots of 512 bytes
// from 0xfeb00000, slot i on I/O APIC input 5+i. QEMU fills them from the highest slot down.
const (
	MicrovmBase  = 0xfeb00000
	MicrovmSlots = 8
	MicrovmSlot  = 512
	MicrovmGSI   = 5
)

// virtio-pci (§4.1.2, §4.1.4): the vendor and modern device IDs, and virtio_pci_cap: cfg_type
// at +3, bar at +4, offset at +8, length at +12; the notify capability adds
// notify_off_multiplier at +16.
const (
	PCIVendor        = 0x1af4
	PCIDeviceModern0 = 0x1040 // + device type (§4.1.2.1)
	PCISubsystemID   = 0x2e   // transitional devices: the device type (§4.1.2.1)

	CapCfgType    = 3
	CapBar        = 4
	CapOffset     = 8
	CapNotifyMult = 16

	CfgTypeCommon = 1
	CfgTypeNotify = 2
	CfgTypeDevice = 4
)

// virtio-pci common configuration structure (§4.1.4.3).
const (
	CommonDeviceFeatSel = 0x00
	CommonDeviceFeat    = 0x04
	CommonDriverFeatSel = 0x08
	CommonDriverFeat    = 0x0c
	CommonConfigMSIX    = 0x10
	CommonNumQueues     = 0x12
	CommonStatus        = 0x14
	CommonQueueSelect   = 0x16
	CommonQueueSize     = 0x18
	CommonQueueMSIX     = 0x1a
	CommonQueueEnable   = 0x1c
	CommonQueueNotify   = 0x1e
	CommonQueueDesc     = 0x20
	CommonQueueDriver   = 0x28
	CommonQueueDevice   = 0x30

	NoVector = 0xffff
)

// MSI-X (PCI Express Base 4.0 §7.7.2): message control at cap+2 (enable bit 15, function mask
// bit 14), table offset and BIR at cap+4; table entries of 16 bytes: address low, address high,
// data, vector control (mask bit 0). MSIAddressAPIC is the local APIC of APIC ID 0, physical
// destination.
const (
	MSIXControl    = 2
	MSIXTable      = 4
	MSIXEnable     = 1 << 15
	MSIXFuncMask   = 1 << 14
	MSIAddressAPIC = 0xFEE00000
)
