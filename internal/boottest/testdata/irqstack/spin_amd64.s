#include "textflag.h"

// func spinAt(sp uintptr, cycles uint64)
TEXT ·spinAt(SB),NOSPLIT,$0-16
	MOVQ	sp+0(FP), R8
	MOVQ	cycles+8(FP), R9
	MOVQ	SP, R10
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, R11
	ADDQ	R9, R11	// the end
	MOVQ	R8, SP
loop:
	PAUSE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	CMPQ	AX, R11
	JB	loop
	MOVQ	R10, SP
	RET
