#include "textflag.h"

// entry is assembly-only: entered from outside Go (an ELF entry point).
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	CALL	·goMain(SB)
	RET

// func vec()
TEXT ·vec(SB),NOSPLIT|NOFRAME,$0
	CALL	·handler(SB)
	RET
