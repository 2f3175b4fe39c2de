// Package boot is the library OS's entry point and composition root. A Go program becomes a
// kernel by importing it (unikgen build does that through go build -overlay) and being linked with
// its PVH entry (-E .../runtime/boot.pvhEntry -T 0x201000).
//
// The boot sequence: pvhEntry (32-bit, entry_amd64.s) enters long mode; bootMain copies what it
// needs from hvm_start_info, brings up the console, memory, traps, time and the first thread, and
// enters the stock Go runtime at _rt0_amd64_linux with a Linux process stack (argc, argv, envp,
// auxv) built from the kernel command line. From then on the kernel runs only when the program
// makes a system call or an interrupt or exception arrives.
//
// Reference: Xen docs/misc/pvh.pandoc; xen/include/public/arch-x86/hvm/start_info.h; System V
// AMD64 ABI §3.4.1 (initial process stack).
package boot

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/minmem"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sys"
	"github.com/unikgen/unikgen/runtime/trap"
)

// The kernel's stacks, in one page-aligned block inside the array stacks: a guard page (not
// mapped) below each of the kernel stack and the three IST stacks, so that an overflow faults
// instead of running into the next stack or into other data.
//
//	base                       guard
//	base+guard                 kernel stack (kernelStack bytes)
//	...                        guard, IRQ stack, guard, double-fault stack, guard, page-fault stack
//	base+stacksSize            end
const (
	guardSize   = mm.PageSize
	kernelStack = 0x10000
	istStack    = 0x4000
	stacksSize  = 4*guardSize + kernelStack + 3*istStack // entry_amd64.s uses these through go_asm.h
	imageBase   = minmem.ImageBase                       // -T 0x201000: the ELF header page
	userStack   = 8 << 20
	// userStackGuard is the unmapped gap kept below the main thread's stack (as Linux's
	// stack_guard_gap).
	userStackGuard = 1 << 20
)

var (
	booted    bool    // set by bootMain: package boot runs as a kernel, not in a host test
	startInfo uintptr // set by start64
	kernelFS  uintptr // set by start64: FS base whose -8 slot points at fakeG
	stacks    [stacksSize + mm.PageSize]byte
	fakeG     [32]uintptr
	ktls      [2]uintptr
)

// stacksBase returns the page-aligned start of the stack block (start64 computes the same).
func stacksBase() uintptr { return (arch.Addr(stacks[:]) + mm.PageSize - 1) &^ (mm.PageSize - 1) }

// Implemented in entry_amd64.s.
func pvhEntry()
func getPC()
func start64()
func rt0PC() uintptr

// noMemoryText is not code: it holds the message pvhEntry prints when the image does not fit in
// RAM.
func noMemoryText()

// imageZeroEnd returns the address of runtime.end, the end of the image's BSS as linked.
func imageZeroEnd() uintptr

// bootMain brings the machine up and enters the Go runtime. It never returns.
func bootMain() {
	booted = true
	info := readStartInfo(startInfo)
	loadedEnd := sealImage()
	initPlatform()

	mm.Reserve(imageBase, loadedEnd)
	if info.nmem == 0 {
		platform.Fatal("no memory map in hvm_start_info")
	}
	for i := 0; i < info.nmem; i++ {
		if e := info.mem[i]; e.typ == memRAM {
			mm.AddRAM(uintptr(e.addr), uintptr(e.addr+e.size))
		}
	}
	checkMemory(&info, loadedEnd)
	if !mm.InitPaging() {
		notEnoughMemory(&info, loadedEnd)
	}

	base := stacksBase()
	trap.Init(trap.Stacks{
		Kernel: base + guardSize + kernelStack,
		IRQ:    base + 2*guardSize + kernelStack + istStack,
		Double: base + 3*guardSize + kernelStack + 2*istStack,
		Page:   base + 4*guardSize + kernelStack + 3*istStack,
	}, kernelFS)

	initClock()
	ktime.InitTimer()
	fd.Init()
	sys.Install(syscallTable())
	sys.Debug = DebugSyscalls
	sys.Services = Services
	sys.Files = Files

	var regs sched.Regs
	regs.RIP = uint64(rt0PC())
	regs.RSP = uint64(buildProcessStack(&info))
	regs.CS = 0x08
	regs.SS = 0x10
	regs.RFLAGS = 0x202 // IF
	t := sched.New(&regs, 0, -1)
	arch.Fxsave(sched.FXArea(t))
	sched.Start(t)
	trap.EnterUser()
}

// checkMemory ends the machine with "not enough memory" when the RAM beside the image has fewer
// frames than the kernel and the Go runtime need to start (runtime/minmem), rather than letting
// the boot fail somewhere on the way.
func checkMemory(info *bootInfo, loadedEnd uintptr) {
	direct, shadowed := mm.FreeFrames()
	if direct < minmem.KernelFrames || direct+shadowed < minmem.StartupFrames {
		notEnoughMemory(info, loadedEnd)
	}
}

func notEnoughMemory(info *bootInfo, loadedEnd uintptr) {
	var ram uint64
	for i := 0; i < info.nmem; i++ {
		if e := info.mem[i]; e.typ == memRAM {
			ram += e.size
		}
	}
	klog.Print("unikgen: not enough memory: the machine has ")
	klog.Dec(int64(ram >> 10))
	klog.Print(" KiB of RAM; this kernel needs at least ")
	klog.Dec(int64(minmem.MiB(uint64(loadedEnd))))
	klog.Print(" MiB\n")
	platform.Fatal("not enough memory")
}

// ELF program header fields (System V ABI, Elf64_Phdr) of the image, which the first PT_LOAD maps
// at imageBase.
const (
	ptLoad = 1
	pfX    = 1
	pfW    = 2
)

// sealImage describes the image to runtime/mm for the sealed identity map (mm.InitPaging): each
// PT_LOAD segment with the access its ELF flags give (text read-only and executable, rodata
// read-only, data and BSS writable, none of them both), the guard pages below the kernel stacks,
// and the zero tail: the BSS from the end of the loaded image up to the linker's runtime.end,
// which package image leaves out of the last PT_LOAD (a 32 MiB array of crypto/internal/fips140/drbg,
// for one) and mm maps on demand with zeroed frames. It returns the end of the loaded image.
func sealImage() uintptr {
	phoff := *arch.U64(imageBase + 32)
	phentsize := uintptr(*(*uint16)(arch.Ptr(imageBase + 54)))
	phnum := int(*(*uint16)(arch.Ptr(imageBase + 56)))
	end := uintptr(imageBase)
	for i := 0; i < phnum; i++ {
		ph := imageBase + uintptr(phoff) + uintptr(i)*phentsize
		if *arch.U32(ph) != ptLoad {
			continue
		}
		flags := *arch.U32(ph + 4)
		start := uintptr(*arch.U64(ph + 16))     // p_vaddr
		e := start + uintptr(*arch.U64(ph + 40)) // + p_memsz
		access := mm.ReadOnly
		switch {
		case flags&pfX != 0:
			access = mm.ReadExec
		case flags&pfW != 0:
			access = mm.ReadWrite
		}
		mm.MapKernel(start, e, access)
		end = max(end, e)
	}
	base := stacksBase()
	for _, g := range [...]uintptr{0, guardSize + kernelStack, 2*guardSize + kernelStack + istStack,
		3*guardSize + kernelStack + 2*istStack} {
		mm.MapKernel(base+g, base+g+guardSize, mm.Guard)
	}
	if zeroEnd := imageZeroEnd(); zeroEnd > end {
		// The loader zeroed the BSS up to end; the rest of end's page is the tail's.
		page := (end + mm.PageSize - 1) &^ (mm.PageSize - 1)
		clear(arch.Bytes(end, page-end))
		mm.SetZeroTail(page, zeroEnd)
	}
	return end
}
