#include "go_asm.h"
#include "textflag.h"

// Kernel entry and exit. Program code and the kernel both run in ring 0 in one address space;
// "user" below means program code (the Go runtime and the application), "kernel" the library OS.
//
// Every entry from user code saves the thread's registers into its sched.Regs (curRegs) and its
// x87/SSE state into its FX area (curFX), switches to the kernel stack and to the kernel's FS base
// (whose -8(FS) slot holds the kernel's g), and calls Go. Every exit goes through resumeUser, which
// lets Go pick the thread to run, then restores that thread's state and IRETQs into it, using the
// saved Regs block itself as the IRETQ frame. The kernel runs with interrupts disabled; kdepth is
// non-zero while it runs, so a trap taken inside the kernel (a demand-paging fault on program memory,
// or an interrupt while idle) is handled on its IST stack and returns straight to the kernel.

// go_asm.h (from trap.go) gives the layout of sched.Regs as asmRegs_<field> and asmRegs__size:
// PUSH_GPRS fills its first fifteen words (R15 at offset 0 up to RAX), the vector stubs and the CPU
// push the rest (Vector, Err, RIP, CS, RFLAGS, RSP, SS). TestRegsLayout pins the register order.

#define PUSH_GPRS \
	PUSHQ	AX; PUSHQ	BX; PUSHQ	CX; PUSHQ	DX; \
	PUSHQ	SI; PUSHQ	DI; PUSHQ	BP; PUSHQ	R8; \
	PUSHQ	R9; PUSHQ	R10; PUSHQ	R11; PUSHQ	R12; \
	PUSHQ	R13; PUSHQ	R14; PUSHQ	R15

#define POP_GPRS \
	POPQ	R15; POPQ	R14; POPQ	R13; POPQ	R12; \
	POPQ	R11; POPQ	R10; POPQ	R9; POPQ	R8; \
	POPQ	BP; POPQ	DI; POPQ	SI; POPQ	DX; \
	POPQ	CX; POPQ	BX; POPQ	AX

#define KERNEL_FS \
	MOVL	$const_msrFSBase, CX; \
	MOVQ	·kernelFS(SB), AX; \
	MOVQ	AX, DX; \
	SHRQ	$32, DX; \
	WRMSR

// syscallEntry is the target of SYSCALL (MSR_LSTAR). RCX holds the return address, R11 the
// caller's RFLAGS; RFLAGS.IF is clear (MSR_FMASK). SP is still the caller's stack.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ	SP, ·scratchSP(SB)
	MOVQ	·curRegs(SB), SP
	ADDQ	$asmRegs_Vector, SP
	PUSH_GPRS
	MOVQ	CX, asmRegs_RIP(SP)
	MOVQ	$0x08, asmRegs_CS(SP)
	MOVQ	R11, asmRegs_RFLAGS(SP)
	MOVQ	·scratchSP(SB), AX
	MOVQ	AX, asmRegs_RSP(SP)
	MOVQ	$0x10, asmRegs_SS(SP)
	MOVQ	$0x100, asmRegs_Vector(SP)
	MOVQ	·curFX(SB), AX
	FXSAVE64	(AX)
	MOVQ	·kstackTop(SB), SP
	MOVQ	$1, ·kdepth(SB)
	CLD
	KERNEL_FS
	CALL	·syscallTrap(SB)
	JMP	·resumeUser(SB)

// extEntry is where the stubs of external interrupts (vectors 32-255, vectors_amd64.s) go: the
// CPU pushed the 5-word frame (RIP, CS, RFLAGS, RSP, SS) at extSP, on the IRQ stack's top (IST 1)
// or, for a vector whose source raises it again (trap.SetReraisedHandler: Xen's upcall), on the
// interrupted stack; the stub stored extSP and extVector and changed no register. extEntry builds
// alltraps's frame on the IRQ stack below an IST frame (the IRQ stack is free whenever interrupts
// are enabled: the kernel runs with them off) and goes on as an exception stub would.
//
// Why the upcall has no IST: Xen 4.17 nested in QEMU TCG delivers it a second time at the first
// instruction of its stub with interrupts off (issue 10's stall). With an IST the second frame
// lands on the first and the interrupted thread's RIP, RSP and RFLAGS are gone; on the
// interrupted stack it lands below the first, and recoverDuplicate (dispatch.go) finds the first
// through the second's RSP.
TEXT ·extEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ	·irqStackTop(SB), SP
	SUBQ	$64, SP	// below an IST frame (40 bytes at the top)
	PUSHQ	AX
	MOVQ	·extSP(SB), AX
	PUSHQ	32(AX)	// SS
	PUSHQ	24(AX)	// RSP
	PUSHQ	16(AX)	// RFLAGS
	PUSHQ	8(AX)	// CS
	PUSHQ	0(AX)	// RIP
	PUSHQ	$0	// error code
	PUSHQ	·extVector(SB)
	MOVQ	56(SP), AX
	JMP	·alltraps(SB)

// alltraps is the common entry of the interrupt and exception stubs (vectors_amd64.s). The stack
// (an IST stack, or the IRQ stack for an external interrupt) holds: vector, error code, RIP, CS,
// RFLAGS, RSP, SS.
TEXT ·alltraps(SB),NOSPLIT|NOFRAME,$0
	PUSH_GPRS
	CLD
	// Read CR2 first: a VM exit taken later (WRMSR, port or MMIO I/O) may not preserve it (seen
	// with Xen nested under QEMU TCG).
	MOVQ	CR2, AX
	CMPQ	·kdepth(SB), $0
	JNE	nested
	MOVQ	AX, ·userCR2(SB)
	// From user code: move the frame into the thread's Regs.
	MOVQ	SP, SI
	MOVQ	·curRegs(SB), DI
	MOVQ	$(asmRegs__size/8), CX
	REP;	MOVSQ
	MOVQ	·curFX(SB), AX
	FXSAVE64	(AX)
	MOVQ	·kstackTop(SB), SP
	MOVQ	$1, ·kdepth(SB)
	KERNEL_FS
	CALL	·userTrap(SB)
	JMP	·resumeUser(SB)
nested:
	// Inside the kernel: handle on this stack, keep the kernel's SSE state, return to it.
	MOVQ	AX, ·kernelCR2(SB)
	MOVQ	SP, BX
	SUBQ	$528, SP
	ANDQ	$~15, SP
	MOVQ	BX, 8(SP)
	MOVQ	BX, 0(SP)
	LEAQ	16(SP), AX
	FXSAVE64	(AX)
	CALL	·kernelTrap(SB)
	LEAQ	16(SP), AX
	FXRSTOR64	(AX)
	MOVQ	8(SP), SP
	POP_GPRS
	ADDQ	$(asmRegs_RIP-asmRegs_Vector), SP	// Vector and Err
	IRETQ

// resumeUser returns to user code: Go (prepareResume) chooses the thread, then its state is
// restored and IRETQ pops RIP, CS, RFLAGS, RSP and SS from the end of its Regs.
TEXT ·resumeUser(SB),NOSPLIT|NOFRAME,$0
	MOVQ	·kstackTop(SB), SP
	CALL	·prepareResume(SB)
	MOVQ	$0, ·kdepth(SB)
	MOVL	$const_msrFSBase, CX
	MOVQ	·curFS(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	MOVQ	·curFX(SB), AX
	FXRSTOR64	(AX)
	MOVQ	·curRegs(SB), SP
	POP_GPRS
	ADDQ	$(asmRegs_RIP-asmRegs_Vector), SP	// Vector and Err
	IRETQ

// func syscallEntryPC() uintptr
TEXT ·syscallEntryPC(SB),NOSPLIT,$0-8
	LEAQ	·syscallEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func extEntryAddr() uintptr
TEXT ·extEntryAddr(SB),NOSPLIT,$0-8
	LEAQ	·extEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func vectorTable() uintptr
TEXT ·vectorTable(SB),NOSPLIT,$0-8
	LEAQ	·vectors(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func enterUser()
TEXT ·enterUser(SB),NOSPLIT|NOFRAME,$0
	JMP	·resumeUser(SB)
