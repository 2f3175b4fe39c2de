#include "textflag.h"

// func fill(p unsafe.Pointer)
TEXT ·fill(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
loop:
	SUBQ	$8, AX
	MOVQ	$0, (AX)
	JMP	loop
