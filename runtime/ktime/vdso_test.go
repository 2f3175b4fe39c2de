package ktime

import (
	"testing"
	"time"
)

func callVDSO(clock int32, ts *[2]int64) int64

// TestVDSOClock compares the vDSO clock_gettime with the kernel's Nanotime and Walltime.
func TestVDSOClock(t *testing.T) {
	SetTSCHz(2_500_000_000)
	SetWallClock(1_700_000_000e9)
	time.Sleep(10 * time.Millisecond)
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
