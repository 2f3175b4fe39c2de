#include "textflag.h"

// func Rdtsc() uint64
TEXT ·Rdtsc(SB),NOSPLIT,$0-8
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func Mfence()
TEXT ·Mfence(SB),NOSPLIT,$0-0
	MFENCE
	RET

// func Cas16(addr uintptr, old, new uint16) bool
TEXT ·Cas16(SB),NOSPLIT,$0-17
	MOVQ	addr+0(FP), BX
	MOVW	old+8(FP), AX
	MOVW	new+10(FP), CX
	LOCK
	CMPXCHGW	CX, 0(BX)
	SETEQ	ret+16(FP)
	RET
