package trap

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/irq"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/signal"
	"github.com/unikgen/unikgen/runtime/sys"
)

// Exception vectors (Intel SDM Vol. 3A table 6-1).
const (
	excDivide     = 0
	excDebug      = 1
	excNMI        = 2
	excBreakpoint = 3
	excOverflow   = 4
	excBound      = 5
	excInvalidOp  = 6
	excNoDevice   = 7
	excDouble     = 8
	excGP         = 13
	excPage       = 14
	excX87        = 16
	excAlign      = 17
	excMachine    = 18
	excSIMD       = 19
)

var excNames = [...]string{
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
	"invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection fault", "page fault",
	"reserved", "x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
}

// syscallTrap handles a SYSCALL from the running thread.
func syscallTrap() {
	sys.Dispatch(sched.Current())
}

// userTrap handles an interrupt or exception taken in program code.
func userTrap() {
	t := sched.CurrentThread()
	v := t.Regs.Vector
	if v >= firstExternal && inExtEntry(t.Regs.RIP) {
		if first := recoverDuplicate(&t.Regs); first >= 0 && uint64(first) != v {
			userInterrupt(uint64(first))
		}
	}
	if v < firstExternal {
		exception(t, v)
		return
	}
	userInterrupt(v)
}

// userInterrupt handles external interrupt v taken in program code: the timer also ends the
// running thread's time slice (sched.Tick).
func userInterrupt(v uint64) { interrupt(v, true) }

// kernelInterrupt handles external interrupt v taken while the kernel idles: the timer only ends
// the waits that are due (sched.Expire).
func kernelInterrupt(v uint64) { interrupt(v, false) }

// interrupt handles external interrupt v, taken in program code (inProgram) or while the kernel
// idles.
func interrupt(v uint64, inProgram bool) {
	switch {
	case v == timerVector && inProgram:
		ktime.TimerFired()
		sched.Tick(ktime.Nanotime())
	case v == timerVector:
		ktime.TimerFired()
		sched.Expire(ktime.Nanotime())
	case v == ktime.SpuriousVector:
	default:
		if h := irqHandlers[v]; h != nil {
			h()
		} else {
			irq.Handle(v)
		}
	}
}

// maxDuplicates bounds how many deliveries of events in a row recoverDuplicate unwinds.
const maxDuplicates = 8

// Duplicates counts the events that were delivered again inside their entry stub
// (recoverDuplicate), for diagnostics.
var Duplicates uint64

// accessible reports whether the kernel may read (or write) addr: mm.Accessible; tests replace it.
var accessible = mm.Accessible

// inExtEntry reports whether pc is in the external interrupts' entry before their frame left
// the interrupted stack: a stub, or extEntry's first instruction.
func inExtEntry(pc uint64) bool {
	p := uintptr(pc)
	return p >= extStubsLo && p < extStubsHi || p == extEntryPC
}

// recoverDuplicate undoes a second delivery of an event at the first instructions of its entry
// (inExtEntry(r.RIP), interrupts off): r holds the second delivery's frame, whose RSP points at
// the first delivery's frame (the stubs push nothing and change no register before extEntry
// leaves the interrupted stack). It replaces r's RIP, CS, RFLAGS, RSP and SS by the first
// frame's (repeatedly, for a third delivery), and returns the vector of the first delivery's
// stub (-1 when it was at extEntry's first instruction: the same vector as r's). The general
// registers in r are the interrupted code's already. No CPU delivers a maskable interrupt with
// interrupts off; Xen 4.17 nested in QEMU TCG did deliver the event-channel upcall twice so
// (issue 10), and with an IST the second frame used to overwrite the first, losing the
// interrupted thread: the kernel then resumed the thread at the stub, forever.
func recoverDuplicate(r *sched.Regs) int {
	first := -1
	for n := 0; inExtEntry(r.RIP); n++ {
		f := uintptr(r.RSP)
		if n == maxDuplicates || f&7 != 0 || !accessible(f, false) || !accessible(f+32, false) {
			klog.Print("unikgen: an interrupt was delivered inside the entry of another, and its frame cannot be found\n")
			kernelFault(r, "interrupt delivered twice")
		}
		if v := stubVector(uintptr(r.RIP)); v >= 0 {
			first = v
		}
		r.RIP, r.CS, r.RFLAGS = *arch.U64(f), *arch.U64(f + 8), *arch.U64(f + 16)
		r.RSP, r.SS = *arch.U64(f + 24), *arch.U64(f + 32)
		Duplicates++
		if Duplicates <= 3 {
			klog.Print("unikgen: interrupt vector ")
			klog.Dec(int64(r.Vector))
			klog.Print(" was delivered again at the entry of vector ")
			klog.Dec(int64(first))
			klog.Print(" with interrupts off (a hypervisor's duplicate); recovered\n")
		}
	}
	return first
}

// exception turns a CPU exception in program code into a signal, as Linux does.
func exception(t *sched.Thread, v uint64) {
	r := &t.Regs
	sig, code, addr := signal.SIGSEGV, signal.SI_KERNEL, uint64(0)
	switch v {
	case excPage:
		cr2 := pageFaultAddress(r, userCR2, t.FSBase)
		switch mm.HandleFault(cr2, r.Err) {
		case mm.FaultMapped:
			return
		case mm.FaultNoMemory:
			outOfMemory(cr2, r.RIP)
		case mm.FaultAccess:
			code = signal.SEGV_ACCERR
		default:
			code = signal.SEGV_MAPERR
		}
		addr = uint64(cr2)
	case excDivide:
		sig, code, addr = signal.SIGFPE, signal.FPE_INTDIV, r.RIP
	case excX87, excSIMD:
		sig, code, addr = signal.SIGFPE, 0, r.RIP
	case excInvalidOp:
		sig, code, addr = signal.SIGILL, signal.ILL_ILLOPN, r.RIP
	case excDebug, excBreakpoint:
		sig, code = signal.SIGTRAP, signal.TRAP_BRKPT
	case excAlign:
		sig = signal.SIGBUS
	case excGP, excOverflow, excBound:
	default:
		kernelFault(r, "exception in program code")
	}
	if !signal.Fault(sig, code, addr, v) {
		klog.Print("unikgen: ")
		klog.Print(excNames[v])
		klog.Print(" in program code (error code ")
		klog.Hex(r.Err)
		klog.Print(", address ")
		klog.Hex(addr)
		klog.Print(") with no handler installed\n")
		dumpRegs(r, addr)
		killed(sig, addr, r.RIP)
	}
}

// pageFaultAddress returns the address of a page fault: CR2, or, when CR2 reads 0, the faulting
// instruction's own address for an instruction fetch, else the address decoded from the faulting
// instruction (see decode.go). For an access that may straddle two pages, it returns the second
// page when the first allows the access. A write fault that the instruction does not explain
// may come from the delivery of an interrupt without an IST (SetReraisedHandler: Xen's upcall),
// which pushes its frame below RSP onto a stack page not mapped yet (a new thread's stack): then
// it returns the first page of those 48 bytes that is not writable. The delivery is lost; the
// source raises the vector again once the page is mapped.
func pageFaultAddress(r *sched.Regs, cr2 uintptr, fsBase uint64) uintptr {
	if cr2 != 0 {
		return cr2
	}
	if r.Err&mm.FaultFetch != 0 {
		return uintptr(r.RIP)
	}
	write := r.Err&mm.FaultWrite != 0
	ea, ok := faultAddress(r, fsBase, write)
	if !ok {
		if write {
			return framePushFault(r)
		}
		return 0
	}
	a := uintptr(ea)
	if accessible(a, write) {
		next := (a + 15) &^ (mm.PageSize - 1) // the access may run into the next page
		if write && (next <= a || accessible(next, write)) {
			if f := framePushFault(r); f != 0 {
				return f
			}
		}
		return next
	}
	return a
}

// framePushFault returns the first address that an interrupt frame pushed below r.RSP (40 bytes
// after aligning RSP down to 16) would write and cannot, or 0.
func framePushFault(r *sched.Regs) uintptr {
	sp := uintptr(r.RSP)
	for _, a := range [...]uintptr{sp - 8, sp&^15 - 40} {
		if !accessible(a, true) {
			return a
		}
	}
	return 0
}

// kernelTrap handles an interrupt or exception taken while the kernel runs: a demand-paging
// fault on program memory the kernel touched, or an interrupt while the CPU idles.
func kernelTrap(frame uintptr) {
	r := (*sched.Regs)(arch.Ptr(frame))
	v := r.Vector
	if v >= firstExternal && inExtEntry(r.RIP) {
		if first := recoverDuplicate(r); first >= 0 && uint64(first) != v {
			kernelInterrupt(uint64(first))
		}
	}
	if v >= firstExternal {
		kernelInterrupt(v)
		return
	}
	switch {
	case v == excPage:
		cr2 := pageFaultAddress(r, kernelCR2, uint64(kernelFS))
		switch mm.HandleFault(cr2, r.Err) {
		case mm.FaultMapped:
			return
		case mm.FaultNoMemory:
			outOfMemory(cr2, r.RIP)
		}
		klog.Print("unexpected fault address ")
		klog.Hex(uint64(cr2))
		if mm.IsGuard(cr2) {
			klog.Print(": the guard page below a kernel stack (kernel stack overflow)")
		}
		klog.Print("\n")
		kernelCR2 = cr2 // the address worked out when CR2 itself read 0 (see decode.go), for the report
		kernelFault(r, "page fault in kernel")
	default:
		kernelFault(r, "exception in kernel")
	}
}

// prepareResume picks the thread to return to and prepares its state: it re-executes a syscall
// that was woken for a retry and delivers pending signals.
func prepareResume() {
	for {
		sched.Schedule()
		i := sched.Current()
		t := sched.T(i)
		if t.Restart {
			sys.Dispatch(i)
			if t.State != sched.Running {
				continue
			}
		}
		if sig := signal.Deliverable(i); sig != 0 {
			if signal.Fatal(sig) {
				killed(sig, 0, t.Regs.RIP)
			}
			signal.Deliver(i, sig)
		}
		break
	}
	setCurrent()
}

var sigNames = [...]string{4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
	11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}

// killed ends the program the way Linux ends a process whose signal has its default action:
// with status 128+sig.
func killed(sig int, addr, pc uint64) {
	klog.Print("unikgen: program killed by signal ")
	if sig < len(sigNames) && sigNames[sig] != "" {
		klog.Print(sigNames[sig])
	} else {
		klog.Dec(int64(sig))
	}
	if addr != 0 {
		klog.Print(" (fault address ")
		klog.Hex(addr)
		klog.Print(")")
	}
	klog.Print(" at pc ")
	klog.Hex(pc)
	klog.Print("\n")
	platform.Exit(128 + sig)
}

func outOfMemory(addr uintptr, pc uint64) {
	used, total := mm.Stats()
	klog.Print("unikgen: out of memory: ")
	klog.Dec(int64(used))
	klog.Print(" of ")
	klog.Dec(int64(total))
	klog.Print(" pages in use; page fault at ")
	klog.Hex(uint64(addr))
	klog.Print(", pc ")
	klog.Hex(pc)
	klog.Print("\n")
	platform.Fatal("out of memory")
}

// dumpRegs prints the registers of a faulting context and its fault address.
func dumpRegs(r *sched.Regs, faultAddr uint64) {
	reg := func(name string, v uint64) {
		klog.Print(name)
		klog.Hex(v)
	}
	reg("pc  ", r.RIP)
	reg("  sp  ", r.RSP)
	reg("  addr ", faultAddr)
	reg("\nrax ", r.RAX)
	reg("  rbx ", r.RBX)
	reg("  rcx ", r.RCX)
	reg("  rdx ", r.RDX)
	reg("\nrdi ", r.RDI)
	reg("  rsi ", r.RSI)
	reg("  rbp ", r.RBP)
	reg("  r14 ", r.R14)
	klog.Print("\n")
}

// kernelFault reports a fault the kernel cannot recover from, with the registers and the frame
// pointer chain, and ends the machine.
func kernelFault(r *sched.Regs, what string) {
	klog.Print("unikgen: ")
	klog.Print(what)
	klog.Print(": ")
	if r.Vector < uint64(len(excNames)) {
		klog.Print(excNames[r.Vector])
	} else {
		klog.Print("vector ")
		klog.Dec(int64(r.Vector))
	}
	klog.Print(" (error code ")
	klog.Hex(r.Err)
	klog.Print(")\n")
	dumpRegs(r, uint64(kernelCR2))
	klog.Print("stack trace (return addresses; resolve with go tool addr2line):\n\t")
	klog.Hex(r.RIP)
	klog.Print("\n")
	bp := uintptr(r.RBP)
	for n := 0; n < 32 && bp >= mm.PageSize && bp&7 == 0; n++ {
		if _, ok := mm.Translate(bp); !ok {
			break
		}
		ret := *arch.U64(bp + 8)
		if ret == 0 {
			break
		}
		klog.Print("\t")
		klog.Hex(ret)
		klog.Print("\n")
		next := uintptr(*arch.U64(bp))
		if next <= bp {
			break
		}
		bp = next
	}
	platform.Fatal(what)
}
