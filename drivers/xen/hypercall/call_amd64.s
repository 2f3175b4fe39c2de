#include "textflag.h"

// Hypercall calling convention (xen/include/public/arch-x86/xen-x86_64.h): arguments in RDI, RSI,
// RDX, R10, R8, result in RAX. Xen may clobber the argument registers (debug builds do so on
// purpose) and we also treat RCX, R9 and R11 as clobbered; all of them are caller-saved in Go's
// ABI0, which is all an assembly function has to honour. RBX, RBP, R12-R15 are preserved by Xen.

// func call(stub, a1, a2, a3, a4, a5 uintptr) int64
TEXT ·call(SB),NOSPLIT,$0-56
	MOVQ	stub+0(FP), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	CALL	AX
	MOVQ	AX, ret+48(FP)
	RET

// func callPtr(stub, a1 uintptr, a2 unsafe.Pointer, a3 uintptr) int64
TEXT ·callPtr(SB),NOSPLIT,$0-40
	MOVQ	stub+0(FP), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	XORQ	R10, R10
	XORQ	R8, R8
	CALL	AX
	MOVQ	AX, ret+32(FP)
	RET
