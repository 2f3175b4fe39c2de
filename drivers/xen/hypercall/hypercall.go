// Package hypercall finds Xen through CPUID, installs the hypercall page and makes hypercalls.
//
// References (Xen 4.17): xen/include/public/arch-x86/cpuid.h (the leaves at 0x40000000 + n*0x100),
// xen/include/public/xen.h (hypercall numbers), xen/include/public/arch-x86/xen-x86_64.h (calling
// convention), and the typed operations' own headers named next to each wrapper (ops.go).
//
// # Hypercall page
//
// Xen fills a guest page with 128 stubs of 32 bytes when the guest writes the page's guest-physical
// address to the MSR named by CPUID leaf base+2 (EBX). Stub n sets EAX = n and executes VMCALL or
// VMMCALL, whichever this CPU needs:
//
//	page + 0*32   b8 00 00 00 00  0f 01 c1|d9  c3     mov $0,%eax; vmcall|vmmcall; ret
//	page + 1*32   b8 01 00 00 00  ...
//	...
//	page + 127*32
//
// The page lives in a package-level array of the kernel image, which the kernel identity-maps
// (physical == virtual); it is the only data page the sealed kernel maps executable (read-only:
// Xen writes it through the guest-physical address, not through the page tables; see Page). Call loads up to five arguments into RDI, RSI, RDX,
// R10, R8 and calls page + 32*op; the result comes back in RAX (a negative errno on failure).
//
// # Host tests
//
// Detect only executes CPUID and is safe anywhere. Init executes WRMSR and must only run in the
// kernel. Before Init, Call and every wrapper return -ENOSYS instead of jumping into an empty page,
// so code paths that make hypercalls can be exercised on a development host.
package hypercall

import (
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// Hypercall numbers (xen.h, __HYPERVISOR_*).
const (
	SetTimerOp     = 15
	MemoryOp       = 12
	XenVersion     = 17
	ConsoleIO      = 18
	GrantTableOp   = 20
	VcpuOp         = 24
	SchedOp        = 29
	EventChannelOp = 32
	PhysdevOp      = 33
	HvmOp          = 34
)

// Errno values that Xen returns negated (xen/include/public/errno.h; the same numbers as Linux).
const (
	EPERM  = 1
	ENOENT = 2
	EAGAIN = 11
	ENOMEM = 12
	EFAULT = 14
	EBUSY  = 16
	EINVAL = 22
	ENOSYS = 38
)

// CPUID signature: "XenVMMXenVMM" in EBX, ECX, EDX of the base leaf.
const (
	sigEBX = 0x566e6558 // "XenV"
	sigECX = 0x65584d4d // "MMXe"
	sigEDX = 0x4d4d566e // "nVMM"

	leafFirst = 0x40000000
	leafLast  = 0x4000ff00
	leafStep  = 0x100
)

// PageSize is the size of the hypercall page.
const PageSize = 4096

var (
	// page holds the hypercall page; pageAddr is its 4 KiB-aligned address inside pageMem, or 0
	// before Init.
	pageMem  [2 * PageSize]byte
	pageAddr uintptr

	base    uint32 // CPUID base leaf of Xen, 0 when not on Xen
	version uint32 // major<<16 | minor from CPUID base+1
)

// Detect looks for Xen's CPUID leaves and returns their base (0x40000000 or, when Viridian leaves
// come first, 0x40000100 and so on); ok is false when not running on Xen. It only executes CPUID.
func Detect() (base uint32, ok bool) { return detect(hw.Cpuid) }

func detect(cpuid func(leaf, sub uint32) (a, b, c, d uint32)) (uint32, bool) {
	for leaf := uint32(leafFirst); leaf <= leafLast; leaf += leafStep {
		a, b, c, d := cpuid(leaf, 0)
		if b == sigEBX && c == sigECX && d == sigEDX && a-leaf >= 2 {
			return leaf, true
		}
	}
	return 0, false
}

// Init detects Xen and installs the hypercall page. It returns false, having changed nothing, when
// the machine is not Xen. Kernel only (WRMSR).
func Init() bool {
	b, ok := Detect()
	if !ok {
		return false
	}
	base = b
	version, _, _, _ = hw.Cpuid(b+1, 0)
	_, msr, _, _ := hw.Cpuid(b+2, 0)
	p := (hw.Addr(pageMem[:]) + PageSize - 1) &^ (PageSize - 1)
	hw.Wrmsr(msr, uint64(p)) // page index 0 in the low 12 bits
	pageAddr = p
	return true
}

// Ready reports whether Init installed the hypercall page.
func Ready() bool { return pageAddr != 0 }

// Page returns the address of the hypercall page (0 before Init). It is the one page outside the
// text that must stay executable when the kernel seals its address space (runtime/mm.MapKernel).
func Page() uintptr { return pageAddr }

// Base returns Xen's CPUID base leaf (0 before Init).
func Base() uint32 { return base }

// Version returns Xen's version from CPUID as major<<16 | minor (0 before Init).
func Version() uint32 { return version }

// Call makes hypercall op with up to five arguments and returns Xen's result: >= 0 on success,
// -errno on failure. Pointer arguments are guest virtual addresses; the caller keeps the memory
// alive and in place (use the typed wrappers, which pass pointers safely). Before Init it returns
// -ENOSYS.
//
//go:nosplit
func Call(op, a1, a2, a3, a4, a5 uintptr) int64 {
	if pageAddr == 0 {
		return -ENOSYS
	}
	return call(pageAddr+op*32, a1, a2, a3, a4, a5)
}

// callp is Call with a pointer second argument, so that the object it points to stays where it is
// and live for the duration of the call (it is normally a local on the caller's stack).
//
//go:nosplit
func callp(op, a1 uintptr, p unsafe.Pointer, a3 uintptr) int64 {
	if pageAddr == 0 {
		return -ENOSYS
	}
	return callPtr(pageAddr+op*32, a1, p, a3)
}

// call jumps to the hypercall stub at stub. Defined in call_amd64.s.
//
//go:noescape
func call(stub, a1, a2, a3, a4, a5 uintptr) int64

// callPtr is call with a pointer second argument. Defined in call_amd64.s.
//
//go:noescape
func callPtr(stub, a1 uintptr, a2 unsafe.Pointer, a3 uintptr) int64
