#include "textflag.h"

// The clocks the vDSO serves: CLOCK_REALTIME (0), CLOCK_MONOTONIC (1), CLOCK_REALTIME_COARSE (5),
// CLOCK_MONOTONIC_COARSE (6) and CLOCK_BOOTTIME (7); any other goes to label other.
#define CLOCK_FILTER(served, other) \
	CMPL	DI, $0; JEQ	served; \
	CMPL	DI, $1; JEQ	served; \
	CMPL	DI, $5; JEQ	served; \
	CMPL	DI, $6; JEQ	served; \
	CMPL	DI, $7; JEQ	served; \
	JMP	other

// STORE_TIMESPEC turns AX, ns since boot, into the requested clock's struct timespec at SI
// (adding the wall-clock base for the REALTIME clocks) and returns 0.
#define STORE_TIMESPEC(wall, split) \
	CMPL	DI, $0; JEQ	wall; \
	CMPL	DI, $5; JNE	split; \
wall: \
	ADDQ	·wallBase(SB), AX; \
split: \
	XORL	DX, DX; \
	MOVQ	$1000000000, CX; \
	DIVQ	CX; \
	MOVQ	AX, 0(SI); \
	MOVQ	DX, 8(SI); \
	XORL	AX, AX; \
	RET

// vdsoClockGettime is the program's __vdso_clock_gettime (runtime/vdso): int
// clock_gettime(clockid_t DI, struct timespec *SI), System V ABI, run in program context. It
// serves CLOCK_REALTIME and CLOCK_MONOTONIC (and their _COARSE and BOOTTIME variants) from the
// TSC with the kernel's calibration, and makes the real system call for any other clock. The
// kernel may change the calibration (ktime.setTSCRate) in an interrupt between any two
// instructions: the reads are repeated when ·clockSeq was odd or changed meanwhile.
TEXT ·vdsoClockGettime(SB),NOSPLIT|NOFRAME,$0
	CLOCK_FILTER(tsc, syscall)
syscall:
	MOVL	$228, AX		// SYS_clock_gettime
	SYSCALL
	RET
tsc:
	MOVL	·clockSeq(SB), R9
	TESTL	$1, R9
	JNE	tsc
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	·tscBase(SB), AX
	MULQ	·tscMult(SB)		// DX:AX = (tsc - base) * mult
	SHRQ	$32, AX
	SHLQ	$32, DX
	ORQ	DX, AX
	ADDQ	·nsBase(SB), AX		// ns since boot
	CMPL	·clockSeq(SB), R9
	JNE	tsc
	STORE_TIMESPEC(wall, split)

// func VDSOClockGettimePC() uintptr
TEXT ·VDSOClockGettimePC(SB),NOSPLIT,$0-8
	LEAQ	·vdsoClockGettime(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// vdsoClockGettimePV is __vdso_clock_gettime on Xen: the same clocks, from the pvclock record
// (struct vcpu_time_info, xen/include/public/xen.h) at ·pvti: version @0 (odd while Xen updates
// it), tsc_timestamp @8, system_time @16, tsc_to_system_mul @24, tsc_shift (signed) @28, flags
// @29. Without XEN_PVCLOCK_TSC_STABLE_BIT (flags bit 0) it makes the system call, as Linux does.
TEXT ·vdsoClockGettimePV(SB),NOSPLIT|NOFRAME,$0
	CLOCK_FILTER(pv, syscall)
syscall:
	MOVL	$228, AX
	SYSCALL
	RET
pv:
	MOVQ	·pvti(SB), R8
	TESTB	$1, 29(R8)
	JEQ	syscall
retry:
	MOVL	0(R8), R9		// version
	TESTL	$1, R9
	JNE	retry
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	8(R8), AX		// TSC ticks since tsc_timestamp
	MOVBQSX	28(R8), CX		// tsc_shift
	TESTQ	CX, CX
	JS	right
	SHLQ	CX, AX
	JMP	scale
right:
	NEGQ	CX
	SHRQ	CX, AX
scale:
	MOVL	24(R8), R10		// tsc_to_system_mul
	MULQ	R10			// DX:AX = ticks * mul
	SHRQ	$32, AX
	SHLQ	$32, DX
	ORQ	DX, AX
	ADDQ	16(R8), AX		// + system_time: ns
	LFENCE
	CMPL	0(R8), R9
	JNE	retry
	STORE_TIMESPEC(wall, split)

// func vdsoClockGettimePVPC() uintptr
TEXT ·vdsoClockGettimePVPC(SB),NOSPLIT,$0-8
	LEAQ	·vdsoClockGettimePV(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
