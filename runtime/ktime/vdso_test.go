package ktime

import (
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
)

func callVDSO(clock int32, ts *[2]int64) int64

// TestVDSOClock compares the vDSO clock_gettime with the kernel's Nanotime and Walltime, before
// and after the rate is corrected (the vDSO must use the new base and rate).
func TestVDSOClock(t *testing.T) {
	SetTSCHz(2_500_000_000)
	SetWallClock(1_700_000_000e9)
	time.Sleep(10 * time.Millisecond)
	checkVDSO(t)
	setTSCRate(arch.Rdtsc(), 1_700_000_000)
	time.Sleep(10 * time.Millisecond)
	checkVDSO(t)
}

func checkVDSO(t *testing.T) {
	var ts [2]int64
	for _, c := range []struct {
		clock int32
		now   func() int64
	}{{1, Nanotime}, {0, Walltime}} {
		before := c.now()
		if r := callVDSO(c.clock, &ts); r != 0 {
			t.Fatalf("clock %d: returned %d", c.clock, r)
		}
		after := c.now()
		got := ts[0]*1e9 + ts[1]
		if ts[1] < 0 || ts[1] >= 1e9 || got < before || got > after {
			t.Errorf("clock %d: vDSO says %d (%d s %d ns), kernel %d..%d", c.clock, got, ts[0], ts[1], before, after)
		}
	}
}

func callVDSOPV(clock int32, ts *[2]int64) int64

// TestVDSOPVClock runs the Xen vDSO clock against an in-memory vcpu_time_info: 0.4 ns per TSC
// tick (mul = 0.4 * 2^32, shift 0), and with the stable-TSC flag cleared it falls back to the
// system call (here, the host's).
func TestVDSOPVClock(t *testing.T) {
	var rec struct {
		version uint32
		_       uint32
		tsc     uint64
		system  uint64
		mul     uint32
		shift   int8
		flags   uint8
		_       [2]byte
	}
	rec.version = 2
	rec.mul = 1717986918 // 0.4 * 2^32
	rec.shift = -1       // ticks are halved first: 0.2 ns per tick in all
	rec.system = 5e9
	rec.flags = 1
	rec.tsc = arch.Rdtsc()
	UsePVClockVDSO(uintptr(unsafe.Pointer(&rec)))
	defer UsePVClockVDSO(0)
	wallBase = 1_700_000_000e9

	var ts [2]int64
	before := arch.Rdtsc()
	if r := callVDSOPV(1, &ts); r != 0 {
		t.Fatalf("returned %d", r)
	}
	after := arch.Rdtsc()
	got := ts[0]*1e9 + ts[1]
	lo, hi := int64(5e9+(before-rec.tsc)/5), int64(5e9+(after-rec.tsc)/5+1)
	if got < lo || got > hi {
		t.Errorf("monotonic %d, want in [%d, %d]", got, lo, hi)
	}
	callVDSOPV(0, &ts)
	if wall := ts[0]*1e9 + ts[1]; wall < 1_700_000_000e9+lo {
		t.Errorf("realtime %d lacks the wall-clock base", wall)
	}
	rec.flags = 0 // not stable: the real system call (here the host's) answers
	var h0, h1 syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&h0)), 0)
	r := callVDSOPV(1, &ts)
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&h1)), 0)
	if got := ts[0]*1e9 + ts[1]; r != 0 || got < h0.Nano() || got > h1.Nano() {
		t.Errorf("fallback: returned %d, time %d, host clock %d..%d", r, got, h0.Nano(), h1.Nano())
	}
}
