// Package trap owns the x86-64 descriptor tables and every way into the kernel: the SYSCALL entry
// for the Linux system calls of the program, and the interrupt and exception vectors. It saves
// and restores thread state (entry_amd64.s), dispatches to the system-call table, to demand
// paging, to signal delivery and to the scheduler, and reports kernel faults.
//
// Reference: Intel SDM Vol. 3A §6.14 (64-bit IDT, IST), §7.7 (64-bit TSS), §5.8.8 (SYSCALL,
// IA32_STAR/LSTAR/FMASK); AMD64 APM Vol. 2 §6.1.1.
package trap

//go:generate go run gen_vectors.go

import (
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/sched"
)

// Segment selectors of the kernel GDT.
const (
	selCode = 0x08
	selData = 0x10
	selTSS  = 0x18
)

// IST slots. External interrupts whose source raises them again (SetReraisedHandler) have none;
// the stubs of all external interrupts build their frame on the IRQ stack themselves (extEntry in
// entry_amd64.s).
const (
	istIRQ    = 1 // interrupts and the exceptions other than those below; also the IRQ stack
	istDouble = 2 // double fault, NMI, machine check
	istPage   = 3 // page faults

	firstExternal = 32 // gen_vectors.go's firstExternal
)

// The assembly (entry_amd64.s) reads these through go_asm.h, which the go command writes for this
// package: asmRegs_<field> and asmRegs__size give the layout of sched.Regs, the block in which a
// thread's registers are saved and from which IRETQ resumes it; const_msrFSBase is the FS base MSR.
type asmRegs sched.Regs

const msrFSBase = arch.MSR_FS_BASE

// Read by the assembly.
var (
	curRegs   uintptr // &sched.Thread.Regs of the running thread
	curFX     uintptr // its FX area
	curFS     uintptr // its FS base
	kdepth    uintptr // non-zero while the kernel runs
	kstackTop uintptr // top of the kernel stack
	kernelFS  uintptr // FS base while the kernel runs
	scratchSP uintptr // user SP during the first instructions of syscallEntry
	userCR2   uintptr // CR2 at the last trap from user code
	kernelCR2 uintptr // CR2 at the last trap inside the kernel

	irqStackTop uintptr // the IRQ stack (istIRQ's), where extEntry builds an external interrupt's frame below an IST frame
	extSP       uintptr // written by an external interrupt's stub: where the CPU pushed its frame
	extVector   uintptr // written by an external interrupt's stub: its vector
)

// The external interrupts' stubs and extEntry's first instruction, where a second delivery of an
// event can find the CPU before the first one's frame left the interrupted stack
// (recoverDuplicate): [extStubsLo, extStubsHi) and extEntryPC, set by Init.
var extStubsLo, extStubsHi, extEntryPC uintptr

var (
	gdt  [6]uint64
	tss  [13]uint64 // 104 bytes; IST1 at byte 36
	idt  [512]uint64
	desc [2]uint64 // scratch for LGDT/LIDT
)

// Handler is an interrupt handler for a device or platform vector.
type Handler func()

var irqHandlers [256]Handler

// SetHandler installs h for interrupt vector v. Call during boot only.
func SetHandler(v int, h Handler) { irqHandlers[v] = h }

// reraised marks the external vectors whose gates have no IST (SetReraisedHandler).
var reraised [256 / 64]uint64

// SetReraisedHandler installs h for external interrupt v (firstExternal..255) whose source
// raises it again for as long as it is not served, such as Xen's event-channel upcall (level on
// vcpu_info.evtchn_upcall_pending, no local APIC). Its gate has no IST: the CPU pushes its frame
// on the interrupted stack, so that a second delivery at the first instruction of its stub, which
// Xen 4.17 nested in QEMU TCG makes (issue 10), lands below the first and the kernel recovers the
// first (recoverDuplicate). A page fault while the CPU pushes that frame (a stack page not mapped
// yet) loses the delivery, which is why only such a source may have it: it raises the vector
// again. Local APIC vectors keep their IST: a fault there would leave the vector in service
// forever. Call during boot, before Init.
func SetReraisedHandler(v int, h Handler) {
	if v >= firstExternal && v < 256 {
		irqHandlers[v] = h
		reraised[v/64] |= 1 << (v % 64)
	}
}

// Stacks gives the kernel's stacks: the kernel stack top and one IST stack top per IST slot.
type Stacks struct {
	Kernel, IRQ, Double, Page uintptr
}

// Init loads the GDT, TSS and IDT, and programs SYSCALL. fs is the kernel's FS base.
func Init(st Stacks, fs uintptr) {
	kstackTop = st.Kernel
	kernelFS = fs
	kdepth = 1 // boot is kernel code: a trap now is a kernel trap

	setTSSWord := func(off int, v uint64) {
		*(*uint64)(unsafe.Add(unsafe.Pointer(&tss), off)) = v
	}
	setTSSWord(36, uint64(st.IRQ))
	setTSSWord(44, uint64(st.Double))
	setTSSWord(52, uint64(st.Page))
	*(*uint16)(unsafe.Add(unsafe.Pointer(&tss), 102)) = 104 // no I/O permission bitmap

	gdt[1] = 0x00AF9A000000FFFF // 64-bit code, DPL 0
	gdt[2] = 0x00CF92000000FFFF // data
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	gdt[3] = 103 | (base&0xFFFFFF)<<16 | 0x89<<40 | (base>>24&0xFF)<<56
	gdt[4] = base >> 32
	loadTable(arch.Lgdt, uintptr(unsafe.Pointer(&gdt)), len(gdt)*8)
	arch.Ltr(selTSS)

	irqStackTop = st.IRQ
	vectors := vectorTable()
	setExtRanges()
	for v := 0; v < 256; v++ {
		handler := *arch.U64(vectors + uintptr(v)*8)
		ist := vectorIST(v)
		idt[2*v], idt[2*v+1] = gate(handler, ist)
	}
	loadTable(arch.Lidt, uintptr(unsafe.Pointer(&idt)), len(idt)*8)

	arch.Wrmsr(arch.MSR_EFER, arch.Rdmsr(arch.MSR_EFER)|arch.EFER_SCE)
	arch.Wrmsr(arch.MSR_STAR, selCode<<32|selCode<<48)
	arch.Wrmsr(arch.MSR_LSTAR, uint64(syscallEntryPC()))
	arch.Wrmsr(arch.MSR_FMASK, 1<<8|1<<9|1<<10|1<<18) // TF IF DF AC
}

// vectorIST returns the IST slot of vector v's gate, 0 for none.
func vectorIST(v int) uint64 {
	switch {
	case reraised[v/64]&(1<<(v%64)) != 0:
		return 0
	case v == 2, v == 8, v == 18:
		return istDouble
	case v == 14:
		return istPage
	}
	return istIRQ
}

// gate returns the two words of a 64-bit interrupt gate (Intel SDM Vol. 3A §6.14.1) to handler,
// DPL 0, present, with IST slot ist.
func gate(handler, ist uint64) (lo, hi uint64) {
	return handler&0xFFFF | selCode<<16 | ist<<32 | 0x8E<<40 | (handler>>16&0xFFFF)<<48, handler >> 32
}

// setExtRanges records where the external interrupts' stubs are (recoverDuplicate).
func setExtRanges() {
	vectors := vectorTable()
	extStubsLo, extStubsHi, extEntryPC = ^uintptr(0), 0, extEntryAddr()
	for v := firstExternal; v < 256; v++ {
		stub := uintptr(*arch.U64(vectors + uintptr(v)*8))
		extStubsLo = min(extStubsLo, stub)
		extStubsHi = max(extStubsHi, stub+stubSize)
	}
}

// stubVector returns the external interrupt whose stub holds pc, or -1.
func stubVector(pc uintptr) int {
	vectors := vectorTable()
	for v := firstExternal; v < 256; v++ {
		if stub := uintptr(*arch.U64(vectors + uintptr(v)*8)); pc >= stub && pc < stub+stubSize {
			return v
		}
	}
	return -1
}

func loadTable(load func(uintptr), base uintptr, size int) {
	p := uintptr(unsafe.Pointer(&desc))
	*(*uint16)(arch.Ptr(p)) = uint16(size - 1)
	*(*uint64)(arch.Ptr(p + 2)) = uint64(base)
	load(p)
}

// EnterUser starts running threads; the first is the one that sched.Start selected.
func EnterUser() {
	enterUser()
}

// setCurrent points the assembly at the running thread.
func setCurrent() {
	i := sched.Current()
	t := sched.T(i)
	curRegs = uintptr(unsafe.Pointer(&t.Regs))
	curFX = sched.FXArea(i)
	curFS = uintptr(t.FSBase)
}

// stubSize bounds an external interrupt's stub (vectors_amd64.s: three instructions, 23 bytes).
const stubSize = 32

// Implemented in entry_amd64.s.
func extEntryAddr() uintptr
func syscallEntryPC() uintptr
func vectorTable() uintptr
func enterUser()

// Timer is the local APIC timer vector.
const timerVector = ktime.TimerVector
