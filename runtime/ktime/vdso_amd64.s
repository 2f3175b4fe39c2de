#include "textflag.h"

// vdsoClockGettime is the program's __vdso_clock_gettime (runtime/vdso): int
// clock_gettime(clockid_t DI, struct timespec *SI), System V ABI, run in program context. It
// serves CLOCK_REALTIME and CLOCK_MONOTONIC (and their _COARSE and BOOTTIME variants) from the
// TSC with the kernel's calibration, and makes the real system call for any other clock.
TEXT ·vdsoClockGettime(SB),NOSPLIT|NOFRAME,$0
	CMPL	DI, $0			// CLOCK_REALTIME
	JEQ	tsc
	CMPL	DI, $1			// CLOCK_MONOTONIC
	JEQ	tsc
	CMPL	DI, $5			// CLOCK_REALTIME_COARSE
	JEQ	tsc
	CMPL	DI, $6			// CLOCK_MONOTONIC_COARSE
	JEQ	tsc
	CMPL	DI, $7			// CLOCK_BOOTTIME
	JEQ	tsc
	MOVL	$228, AX		// SYS_clock_gettime
	SYSCALL
	RET
tsc:
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	·tscBase(SB), AX
	MULQ	·tscMult(SB)		// DX:AX = (tsc - base) * mult
	SHRQ	$32, AX
	SHLQ	$32, DX
	ORQ	DX, AX			// ns since boot
	CMPL	DI, $0
	JEQ	wall
	CMPL	DI, $5
	JNE	split
wall:
	ADDQ	·wallBase(SB), AX
split:
	XORL	DX, DX
	MOVQ	$1000000000, CX
	DIVQ	CX			// AX = s, DX = ns
	MOVQ	AX, 0(SI)
	MOVQ	DX, 8(SI)
	XORL	AX, AX
	RET

// func VDSOClockGettimePC() uintptr
TEXT ·VDSOClockGettimePC(SB),NOSPLIT,$0-8
	LEAQ	·vdsoClockGettime(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
