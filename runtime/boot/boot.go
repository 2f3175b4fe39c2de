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
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sys"
	"github.com/unikgen/unikgen/runtime/trap"
)

const (
	kernelStack = 0x10000
	istStack    = 0x4000
	stacksSize  = kernelStack + 3*istStack // matches STACKS_SIZE in entry_amd64.s
	imageBase   = 0x200000                 // -T 0x201000: the ELF header page
	userStack   = 8 << 20
)

var (
	booted    bool    // set by bootMain: package boot runs as a kernel, not in a host test
	startInfo uintptr // set by start64
	kernelFS  uintptr // set by start64: FS base whose -8 slot points at fakeG
	stacks    [stacksSize]byte
	fakeG     [32]uintptr
	ktls      [2]uintptr
)

// Implemented in entry_amd64.s.
func pvhEntry()
func getPC()
func start64()
func rt0PC() uintptr

// bootMain brings the machine up and enters the Go runtime. It never returns.
func bootMain() {
	booted = true
	info := readStartInfo(startInfo)
	initPlatform()

	mm.Reserve(imageBase, imageEnd())
	if info.nmem == 0 {
		platform.Fatal("no memory map in hvm_start_info")
	}
	for i := 0; i < info.nmem; i++ {
		if e := info.mem[i]; e.typ == memRAM {
			mm.AddRAM(uintptr(e.addr), uintptr(e.addr+e.size))
		}
	}
	if !mm.InitPaging() {
		platform.Fatal("no memory for page tables")
	}

	base := arch.Addr(stacks[:])
	trap.Init(trap.Stacks{
		Kernel: base + kernelStack,
		IRQ:    base + kernelStack + istStack,
		Double: base + kernelStack + 2*istStack,
		Page:   base + kernelStack + 3*istStack,
	}, kernelFS)

	initClock()
	ktime.InitTimer()
	fd.Init()
	sys.Install(syscallTable())
	sys.Debug = DebugSyscalls
	sys.Services = Services

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

// imageEnd returns the end of the loaded image, from the ELF program headers that the first
// PT_LOAD maps at imageBase.
func imageEnd() uintptr {
	phoff := *arch.U64(imageBase + 32)
	phentsize := uintptr(*(*uint16)(arch.Ptr(imageBase + 54)))
	phnum := int(*(*uint16)(arch.Ptr(imageBase + 56)))
	end := uintptr(imageBase)
	for i := 0; i < phnum; i++ {
		ph := imageBase + uintptr(phoff) + uintptr(i)*phentsize
		if *arch.U32(ph) != 1 { // PT_LOAD
			continue
		}
		if e := uintptr(*arch.U64(ph + 16) + *arch.U64(ph + 40)); e > end { // p_vaddr + p_memsz
			end = e
		}
	}
	return end
}
