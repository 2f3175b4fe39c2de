#include "go_asm.h"
#include "textflag.h"

// The PVH entry point. Xen and QEMU jump here in 32-bit protected mode with paging off and EBX
// holding the physical address of struct hvm_start_info (xen/include/public/arch-x86/hvm/
// start_info.h; docs/misc/pvh.pandoc). There is no stack, GDT or IDT to rely on.
//
// The Go assembler only emits 64-bit encodings, but instructions without a REX prefix decode the
// same in 32-bit mode. So the 32-bit part uses only 32-bit registers below R8, no RIP-relative
// operands (in 32-bit mode their displacement reads as an absolute address) and hand-encoded
// control-register moves. Absolute addresses come from the getPC trick: CALL getPC puts the
// address of the following LEAL in AX; that LEAL is 6 bytes and, in 32-bit mode, loads its own
// rel32, so the target is AX+6+rel32.
//
// The 32-bit part identity-maps the low 4 GiB with 2 MiB pages, loads a GDT with a 64-bit code
// segment, enables long mode and far-returns into start64. These boot tables are writable and
// executable everywhere; runtime/mm replaces them with the sealed map early in bootMain.

// The constants const_* come from boot.go through go_asm.h, which the go command writes for this
// package: the stack block's layout (guardSize, kernelStack, stacksSize) and imageBase.

TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	CLI
	CLD
	MOVL	BX, SI			// hvm_start_info
	MOVL	$0x7000, SP		// scratch stack in conventional memory, for getPC only

	// Before touching the image's data (the tables below are in its BSS), check that RAM holds
	// the whole loaded image: its end is the highest p_paddr + p_memsz of the PT_LOAD headers
	// (the ELF header is at imageBase, 0x200000), and some RAM entry of the memory map must cover
	// [imageBase, end). QEMU loads a kernel that does not fit without complaint, and writes past
	// the end of RAM vanish.
	MOVL	$const_imageBase, BX
	MOVL	32(BX), DI		// e_phoff
	ADDL	BX, DI
	MOVWLZX	56(BX), CX		// e_phnum
	MOVL	BX, DX			// DX = end
	MOVWLZX	54(BX), BX		// e_phentsize
phdrs:
	TESTL	CX, CX
	JZ	phdrsDone
	CMPL	0(DI), $1		// PT_LOAD
	JNE	phdrNext
	MOVL	24(DI), AX		// p_paddr
	ADDL	40(DI), AX		// + p_memsz
	CMPL	AX, DX
	JLS	phdrNext
	MOVL	AX, DX
phdrNext:
	ADDL	BX, DI
	DECL	CX
	JMP	phdrs
phdrsDone:
	CMPL	0(SI), $0x336ec578	// hvm_start_info magic
	JNE	memOK			// no start info: nothing to check against
	CMPL	4(SI), $1
	JCS	memOK			// version 0: no memory map
	MOVL	40(SI), DI		// memmap_paddr
	MOVL	48(SI), CX		// memmap_entries
	TESTL	CX, CX
	JZ	memOK
memEntries:
	CMPL	16(DI), $1		// type RAM
	JNE	memNext
	CMPL	4(DI), $0		// starts above 4 GiB
	JNE	memNext
	MOVL	0(DI), AX		// addr
	CMPL	AX, $const_imageBase
	JHI	memNext
	CMPL	12(DI), $0		// 4 GiB or more
	JNE	memOK
	ADDL	8(DI), AX		// addr + size
	JCS	memOK
	CMPL	AX, DX
	JCC	memOK
memNext:
	ADDL	$24, DI
	DECL	CX
	JNZ	memEntries
	// No RAM holds the image: say so on the UART (QEMU's COM1; Xen's domain builder never starts
	// a kernel that does not fit), report status 2 (isa-debugcon, isa-debug-exit) and stop.
	CALL	·getPC(SB)
	LEAL	·noMemoryText(SB), SI
	ADDL	AX, SI
	ADDL	$6, SI
	MOVL	$0x3F8, DX
noMemoryPrint:
	MOVB	0(SI), AX
	TESTB	AX, AX
	JZ	noMemoryExit
	OUTB
	INCL	SI
	JMP	noMemoryPrint
noMemoryExit:
	MOVL	$0x402, DX
	MOVB	$0x32, AX		// "2\n"
	OUTB
	MOVB	$0x0A, AX
	OUTB
	MOVL	$0xF4, DX
	MOVL	$2, AX
	OUTL
noMemoryHalt:
	HLT
	JMP	noMemoryHalt

memOK:
	CALL	·getPC(SB)
	LEAL	·bootTables(SB), BX
	ADDL	AX, BX
	ADDL	$6, BX
	ADDL	$0xFFF, BX
	ANDL	$-4096, BX		// BX = page-aligned tables: PML4, PDPT, PD0-PD3, GDT

	MOVL	BX, DI
	XORL	AX, AX
	MOVL	$(7*1024), CX
	REP;	STOSL

	LEAL	0x1003(BX), AX
	MOVL	AX, 0(BX)		// PML4[0] -> PDPT
	LEAL	0x2003(BX), AX
	MOVL	AX, 0x1000(BX)		// PDPT[0..3] -> PD0..PD3
	LEAL	0x3003(BX), AX
	MOVL	AX, 0x1008(BX)
	LEAL	0x4003(BX), AX
	MOVL	AX, 0x1010(BX)
	LEAL	0x5003(BX), AX
	MOVL	AX, 0x1018(BX)
	LEAL	0x2000(BX), DI
	MOVL	$0x83, AX		// present, writable, 2 MiB page
	MOVL	$2048, CX
fill:
	MOVL	AX, 0(DI)
	ADDL	$0x200000, AX
	ADDL	$8, DI
	DECL	CX
	JNZ	fill

	MOVL	$0x0000FFFF, 0x6008(BX)	// 0x08: 64-bit code
	MOVL	$0x00AF9A00, 0x600C(BX)
	MOVL	$0x0000FFFF, 0x6010(BX)	// 0x10: data
	MOVL	$0x00CF9200, 0x6014(BX)
	MOVW	$23, 0x6020(BX)		// GDTR: limit, base
	LEAL	0x6000(BX), AX
	MOVL	AX, 0x6022(BX)
	LEAL	0x6020(BX), AX
	LGDT	(AX)

	BYTE $0x0F; BYTE $0x20; BYTE $0xE0	// MOVL CR4, AX
	ORL	$0x20, AX			// PAE
	BYTE $0x0F; BYTE $0x22; BYTE $0xE0	// MOVL AX, CR4
	BYTE $0x0F; BYTE $0x22; BYTE $0xDB	// MOVL BX, CR3
	MOVL	$0xC0000080, CX
	RDMSR
	ORL	$0x901, AX			// EFER.LME | NXE | SCE
	WRMSR
	BYTE $0x0F; BYTE $0x20; BYTE $0xC0	// MOVL CR0, AX
	ORL	$-2147483647, AX		// PG | PE (0x80000001)
	BYTE $0x0F; BYTE $0x22; BYTE $0xC0	// MOVL AX, CR0

	CALL	·getPC(SB)
	LEAL	·start64(SB), CX
	ADDL	AX, CX
	ADDL	$6, CX
	PUSHQ	$0x08
	PUSHQ	CX
	BYTE $0xCB				// RETFL: into 64-bit code at start64

TEXT ·getPC(SB),NOSPLIT|NOFRAME,$0
	MOVL	0(SP), AX
	RET

// start64 runs in 64-bit mode on the boot tables. It sets the data segments, enables SSE, switches
// to the kernel stack, gives Go a g (fakeG, reached through FS like a thread's TLS) and calls
// bootMain.
TEXT ·start64(SB),NOSPLIT|NOFRAME,$0
	MOVL	$0x10, AX
	BYTE $0x8E; BYTE $0xD8			// MOVW AX, DS
	BYTE $0x8E; BYTE $0xC0			// MOVW AX, ES
	BYTE $0x8E; BYTE $0xD0			// MOVW AX, SS
	XORL	AX, AX
	BYTE $0x8E; BYTE $0xE0			// MOVW AX, FS
	BYTE $0x8E; BYTE $0xE8			// MOVW AX, GS
	MOVL	SI, SI				// zero-extend the start_info address
	MOVQ	SI, ·startInfo(SB)

	MOVQ	CR0, AX
	ANDQ	$~4, AX				// clear EM
	ORQ	$0x22, AX			// MP | NE
	MOVQ	AX, CR0
	MOVQ	CR4, AX
	ORQ	$0x600, AX			// OSFXSR | OSXMMEXCPT
	MOVQ	AX, CR4
	BYTE $0xDB; BYTE $0xE3			// FNINIT

	LEAQ	·stacks(SB), AX
	ADDQ	$0xFFF, AX
	ANDQ	$~0xFFF, AX			// the stack block (stacksBase): a guard page, then the kernel stack
	LEAQ	(const_guardSize+const_kernelStack)(AX), SP
	LEAQ	·fakeG(SB), BX
	LEAQ	const_guardSize(AX), CX
	MOVQ	CX, 0(BX)			// g.stack.lo
	LEAQ	const_stacksSize(AX), CX
	MOVQ	CX, 8(BX)			// g.stack.hi
	LEAQ	(const_guardSize+1024)(AX), CX
	MOVQ	CX, 16(BX)			// g.stackguard0
	MOVQ	CX, 24(BX)			// g.stackguard1
	LEAQ	·ktls(SB), CX
	MOVQ	BX, 0(CX)			// -8(FS) = &fakeG
	ADDQ	$8, CX
	MOVQ	CX, ·kernelFS(SB)
	MOVQ	CX, AX
	MOVQ	CX, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX
	WRMSR
	CALL	·bootMain(SB)
hang:
	CLI
	HLT
	JMP	hang

// func imageZeroEnd() uintptr
TEXT ·imageZeroEnd(SB),NOSPLIT,$0-8
	LEAQ	runtime·end(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func rt0PC() uintptr
TEXT ·rt0PC(SB),NOSPLIT,$0-8
	LEAQ	_rt0_amd64_linux(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// Page tables and GDT built by pvhEntry: 7 pages, plus slack to align them.
GLOBL ·bootTables(SB), NOPTR, $0x8000

// noMemoryText is the message pvhEntry prints when the image does not fit in RAM (NUL-terminated).
// It is in the text, which must be in RAM for pvhEntry to run at all: the image's data may not be.
//
// "unikgen: not enough memory: the machine's RAM does not hold the kernel image (unikgen build prints the memory it needs)\nfatal error: unikgen: not enough memory\n"
TEXT ·noMemoryText(SB),NOSPLIT|NOFRAME,$0
	BYTE $0x75; BYTE $0x6e; BYTE $0x69; BYTE $0x6b; BYTE $0x67; BYTE $0x65; BYTE $0x6e; BYTE $0x3a
	BYTE $0x20; BYTE $0x6e; BYTE $0x6f; BYTE $0x74; BYTE $0x20; BYTE $0x65; BYTE $0x6e; BYTE $0x6f
	BYTE $0x75; BYTE $0x67; BYTE $0x68; BYTE $0x20; BYTE $0x6d; BYTE $0x65; BYTE $0x6d; BYTE $0x6f
	BYTE $0x72; BYTE $0x79; BYTE $0x3a; BYTE $0x20; BYTE $0x74; BYTE $0x68; BYTE $0x65; BYTE $0x20
	BYTE $0x6d; BYTE $0x61; BYTE $0x63; BYTE $0x68; BYTE $0x69; BYTE $0x6e; BYTE $0x65; BYTE $0x27
	BYTE $0x73; BYTE $0x20; BYTE $0x52; BYTE $0x41; BYTE $0x4d; BYTE $0x20; BYTE $0x64; BYTE $0x6f
	BYTE $0x65; BYTE $0x73; BYTE $0x20; BYTE $0x6e; BYTE $0x6f; BYTE $0x74; BYTE $0x20; BYTE $0x68
	BYTE $0x6f; BYTE $0x6c; BYTE $0x64; BYTE $0x20; BYTE $0x74; BYTE $0x68; BYTE $0x65; BYTE $0x20
	BYTE $0x6b; BYTE $0x65; BYTE $0x72; BYTE $0x6e; BYTE $0x65; BYTE $0x6c; BYTE $0x20; BYTE $0x69
	BYTE $0x6d; BYTE $0x61; BYTE $0x67; BYTE $0x65; BYTE $0x20; BYTE $0x28; BYTE $0x75; BYTE $0x6e
	BYTE $0x69; BYTE $0x6b; BYTE $0x67; BYTE $0x65; BYTE $0x6e; BYTE $0x20; BYTE $0x62; BYTE $0x75
	BYTE $0x69; BYTE $0x6c; BYTE $0x64; BYTE $0x20; BYTE $0x70; BYTE $0x72; BYTE $0x69; BYTE $0x6e
	BYTE $0x74; BYTE $0x73; BYTE $0x20; BYTE $0x74; BYTE $0x68; BYTE $0x65; BYTE $0x20; BYTE $0x6d
	BYTE $0x65; BYTE $0x6d; BYTE $0x6f; BYTE $0x72; BYTE $0x79; BYTE $0x20; BYTE $0x69; BYTE $0x74
	BYTE $0x20; BYTE $0x6e; BYTE $0x65; BYTE $0x65; BYTE $0x64; BYTE $0x73; BYTE $0x29; BYTE $0x0a
	BYTE $0x66; BYTE $0x61; BYTE $0x74; BYTE $0x61; BYTE $0x6c; BYTE $0x20; BYTE $0x65; BYTE $0x72
	BYTE $0x72; BYTE $0x6f; BYTE $0x72; BYTE $0x3a; BYTE $0x20; BYTE $0x75; BYTE $0x6e; BYTE $0x69
	BYTE $0x6b; BYTE $0x67; BYTE $0x65; BYTE $0x6e; BYTE $0x3a; BYTE $0x20; BYTE $0x6e; BYTE $0x6f
	BYTE $0x74; BYTE $0x20; BYTE $0x65; BYTE $0x6e; BYTE $0x6f; BYTE $0x75; BYTE $0x67; BYTE $0x68
	BYTE $0x20; BYTE $0x6d; BYTE $0x65; BYTE $0x6d; BYTE $0x6f; BYTE $0x72; BYTE $0x79; BYTE $0x0a
	BYTE $0x00
