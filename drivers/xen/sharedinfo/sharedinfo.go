// Package sharedinfo maps Xen's shared_info page into the guest and names its layout.
//
// Reference: xen/include/public/xen.h (struct shared_info, struct vcpu_info, struct
// vcpu_time_info) and xen/include/public/arch-x86/xen.h (arch_vcpu_info), Xen 4.17; x86-64
// layout. xen/include/public/memory.h (XENMEM_add_to_physmap, XENMAPSPACE_shared_info).
//
// A PVH guest asks Xen to put shared_info at a guest frame of its choice with
// XENMEM_add_to_physmap. Xen then replaces the RAM page at that frame, so Init uses a dedicated
// page inside this package's own array in the kernel image (identity-mapped, physical == virtual).
//
// shared_info (x86-64, 3136 bytes used of the 4 KiB page):
//
//	   0 +-----------------------------------------+
//	     | vcpu_info[0..31], 64 bytes each          |  VcpuInfo(n) = Addr() + 64*n
//	2048 +-----------------------------------------+
//	     | u64 evtchn_pending[64]  (1 bit per port) |  OffEvtchnPending
//	2560 +-----------------------------------------+
//	     | u64 evtchn_mask[64]     (1 bit per port) |  OffEvtchnMask
//	3072 +---------+--------+---------+-----------+
//	     |wc_version| wc_sec | wc_nsec | wc_sec_hi |  OffWc*
//	3088 +---------+--------+---------+-----------+
//	     | arch_shared_info                         |
//	3136 +-----------------------------------------+
//
// vcpu_info (64 bytes):
//
//	 0 u8  evtchn_upcall_pending     1 u8 evtchn_upcall_mask
//	 8 u64 evtchn_pending_sel       16 arch_vcpu_info {u64 cr2, pad}
//	32 vcpu_time_info (32 bytes):
//	     0 u32 version   8 u64 tsc_timestamp   16 u64 system_time
//	    24 u32 tsc_to_system_mul   28 i8 tsc_shift   29 u8 flags
package sharedinfo

import (
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// shared_info offsets.
const (
	OffVcpuInfo      = 0
	OffEvtchnPending = 2048
	OffEvtchnMask    = 2560
	OffWcVersion     = 3072
	OffWcSec         = 3076
	OffWcNsec        = 3080
	OffWcSecHi       = 3084
	OffArch          = 3088
	Size             = 3136

	MaxVirtCPUs  = 32 // XEN_LEGACY_MAX_VCPUS
	VcpuInfoSize = 64
)

// vcpu_info offsets.
const (
	VcpuUpcallPending  = 0
	VcpuUpcallMask     = 1
	VcpuPendingSel     = 8
	VcpuTime           = 32
	VcpuTimeVersion    = VcpuTime + 0
	VcpuTimeTSC        = VcpuTime + 8
	VcpuTimeSystemTime = VcpuTime + 16
	VcpuTimeMul        = VcpuTime + 24
	VcpuTimeShift      = VcpuTime + 28
	VcpuTimeFlags      = VcpuTime + 29

	// TimeFlagTSCStable is XEN_PVCLOCK_TSC_STABLE_BIT in vcpu_time_info.flags.
	TimeFlagTSCStable = 1 << 0
)

const pageSize = 4096

var (
	pageMem [2 * pageSize]byte
	addr    uintptr
)

// Init maps shared_info at the package's dedicated page (XENMEM_add_to_physmap) and returns
// Xen's result (0 on success, -errno). Call it after hypercall.Init.
func Init() int64 {
	p := (hw.Addr(pageMem[:]) + pageSize - 1) &^ (pageSize - 1)
	return Map(p)
}

// Map maps shared_info at the page-aligned guest-physical address pagePhys, which must also be
// its virtual address (the kernel identity-maps low memory), and uses it from now on. The RAM
// page at pagePhys is given up to Xen.
func Map(pagePhys uintptr) int64 {
	rc := hypercall.AddToPhysmap(hypercall.XENMAPSPACE_shared_info, 0, uint64(pagePhys)/pageSize)
	if rc == 0 {
		addr = pagePhys
	}
	return rc
}

// Use makes the drivers use the shared_info page at a, without any hypercall: for tests (an
// in-memory page) and for a kernel that mapped shared_info itself.
func Use(a uintptr) { addr = a }

// Addr returns the address of shared_info, or 0 when it is not mapped.
//
//go:nosplit
func Addr() uintptr { return addr }

// VcpuInfo returns the address of vcpu_info[vcpu] (vcpu < MaxVirtCPUs), or 0 when shared_info is
// not mapped.
//
//go:nosplit
func VcpuInfo(vcpu int) uintptr {
	if addr == 0 {
		return 0
	}
	return addr + OffVcpuInfo + uintptr(vcpu)*VcpuInfoSize
}
