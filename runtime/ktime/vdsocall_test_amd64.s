#include "textflag.h"

// func callVDSO(clock int32, ts *[2]int64) int64
TEXT ·callVDSO(SB),NOSPLIT,$0-24
	MOVL	clock+0(FP), DI
	MOVQ	ts+8(FP), SI
	CALL	·vdsoClockGettime(SB)
	MOVQ	AX, ret+16(FP)
	RET

// func callVDSOPV(clock int32, ts *[2]int64) int64
TEXT ·callVDSOPV(SB),NOSPLIT,$0-24
	MOVL	clock+0(FP), DI
	MOVQ	ts+8(FP), SI
	CALL	·vdsoClockGettimePV(SB)
	MOVQ	AX, ret+16(FP)
	RET
