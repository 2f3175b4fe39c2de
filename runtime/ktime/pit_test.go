package ktime

import (
	"math"
	"testing"
)

// simPIT simulates a TSC at hz and PIT channel 0 both following one host clock, read by a vCPU
// that the host deschedules now and then.
type simPIT struct {
	hz      float64
	ns      float64 // host time now
	readNs  float64 // how long a read takes
	width   float64 // ns between the two TSC reads around the latch
	stallAt map[int]stall
	reads   int
}

type stall struct {
	ns     float64
	inside bool // inside the bracket (the sample is wide) or before it
}

func (p *simPIT) tsc(ns float64) uint64 { return uint64(ns * p.hz / 1e9) }

func (p *simPIT) read() pitSample {
	p.reads++
	st := p.stallAt[p.reads]
	if !st.inside {
		p.ns += st.ns
	}
	t0 := p.ns
	latch := t0 + p.width/2
	t1 := t0 + p.width
	if st.inside {
		t1 += st.ns
		latch += st.ns / 2
	}
	p.ns = t1 + p.readNs
	count := uint16(pitWrap - uint64(latch*pitHz/1e9)%pitWrap)
	a, b := p.tsc(t0), p.tsc(t1)
	return pitSample{tsc: a + (b-a)/2, width: b - a, count: count}
}

func relErr(got uint64, want float64) float64 { return math.Abs(float64(got)-want) / want }

// TestCalibrate checks the boot calibration on an idle host and with the host stalls that spoiled
// the former single 2 ms window: a stall longer than a wrap between two reads (the count loses a
// wrap: 11-90x off), and stalls inside a read (the TSC is far from the latch).
func TestCalibrate(t *testing.T) {
	const hz = 2_096_008_000
	for _, c := range []struct {
		name   string
		stalls map[int]stall
	}{
		{"idle", nil},
		{"stall of 3 wraps between reads", map[int]stall{300: {ns: 170e6}}},
		{"stall of 5 ms between reads", map[int]stall{200: {ns: 5e6}}},
		{"stalls inside reads", map[int]stall{100: {ns: 2e6, inside: true}, 250: {ns: 40e3, inside: true}, 400: {ns: 100e6, inside: true}}},
		{"stall in the warm-up", map[int]stall{3: {ns: 30e6}, 5: {ns: 1e6, inside: true}}},
	} {
		p := &simPIT{hz: hz, ns: 1e9, readNs: 900, width: 150, stallAt: c.stalls}
		cal := calibrate(p.read)
		if e := relErr(cal.hz, hz); e > 0.002 {
			t.Errorf("%s: %d Hz, want %d (error %.3f%%)", c.name, cal.hz, uint64(hz), 100*e)
		}
		if cal.last.width > cal.maxWidth {
			t.Errorf("%s: the last sample is %d wide, more than the %d accepted", c.name, cal.last.width, cal.maxWidth)
		}
		t.Logf("%s: %d Hz (error %.4f%%) after %d reads, %.2f ms", c.name, cal.hz, 100*relErr(cal.hz, hz), p.reads, (p.ns-1e9)/1e6)
	}
}

// TestCalibrateNoPIT: a port that always reads 0xffff is no PIT.
func TestCalibrateNoPIT(t *testing.T) {
	reads := 0
	cal := calibrate(func() pitSample { reads++; return pitSample{tsc: uint64(reads) * 1000, width: 100, count: 0xffff} })
	if cal.hz != 0 {
		t.Errorf("calibrated %d Hz against a PIT that never counts", cal.hz)
	}
	if reads > calNoPIT+calWarmup+10 {
		t.Errorf("took %d reads to notice there is no PIT", reads)
	}
}

// TestTracker follows the background measurement from a boot calibration that is 3% off, through
// intervals that span many wraps, a host stall that makes a gap too long to count the wraps in,
// and samples too wide to use: the rate converges to the TSC's, and never jumps far.
func TestTracker(t *testing.T) {
	const hz = 2_096_008_000
	p := &simPIT{hz: hz, ns: 5e9, readNs: 900, width: 300}
	start := p.read()
	tr := tracker{anchor: start, maxWidth: hz / 100_000}
	rate := uint64(hz * 1.03)
	step := float64(trackFirst)
	for i := 0; i < 40; i++ {
		p.ns += step
		if i == 15 {
			p.ns += 20e9 // a gap of 20 s: too long to count the wraps; a new chain starts
		}
		s := p.read()
		if i == 20 {
			s.width = tr.maxWidth + 1 // the host stalled the vCPU inside the read
		}
		if r := tr.add(s, rate); r != 0 {
			if i > 0 && relErr(r, hz) > 0.001 {
				t.Errorf("sample %d: rate %d, %.3f%% off", i, r, 100*relErr(r, hz))
			}
			rate = r
		} else if i != 15 && i != 20 {
			t.Errorf("sample %d (%.0f ms after the last) not used", i, step/1e6)
		}
		limit := float64(trackMaxEarly)
		if tr.precise() {
			limit = trackMax
		}
		step = min(2*step, limit)
	}
	if e := relErr(rate, hz); e > 1e-6 {
		t.Errorf("after %.0f s: rate %d, want %d (%.5f%% off)", (p.ns-5e9)/1e9, rate, uint64(hz), 100*e)
	}
	t.Logf("rate %d Hz (%.2e off) from %.1f s of PIT ticks", rate, relErr(rate, hz), float64(tr.sumPIT)/pitHz)
}

// TestTrackerWraps: between two samples the count wraps several times; the wraps are counted from
// the TSC's progress at a rate 1% off.
func TestTrackerWraps(t *testing.T) {
	const hz = 3e9
	for _, gap := range []float64{1e6, 30e6, 54.9e6, 55e6, 100e6, 333e6, 800e6} {
		p := &simPIT{hz: hz, ns: 1e9, readNs: 500, width: 200}
		tr := tracker{anchor: p.read(), maxWidth: 1000}
		p.ns += gap
		s := p.read()
		r := tr.add(s, hz*0.99)
		if r == 0 || relErr(r, hz) > 1e-4 {
			t.Errorf("gap %.1f ms: rate %d, want %d", gap/1e6, r, uint64(hz))
		}
	}
}

func TestSegmentRate(t *testing.T) {
	num := []uint64{1000, 1010, 990, 30000, 1000, 5}
	den := []uint64{10, 10, 10, 10, 10, 10}
	n, d, ok := segmentRate(num, den, 1)
	if !ok || n != 4000 || d != 40 {
		t.Errorf("got %d/%d %v, want 4000/40 (the two outliers dropped)", n, d, ok)
	}
	if _, _, ok := segmentRate(num[:2], den[:2], 1); ok {
		t.Errorf("two segments accepted")
	}
}

// TestSetTSCRate: changing the rate keeps the clock continuous and monotonic.
func TestSetTSCRate(t *testing.T) {
	SetTSCHz(2e9)
	base := tscBase
	at := base + 4e9 // 2 s
	before := tscNanos(at)
	setTSCRate(at, 1e9)
	if after := tscNanos(at); after != before || after != 2e9 {
		t.Errorf("at the change: %d ns before, %d after, want 2e9", before, after)
	}
	if got := tscNanos(at + 1e9); got != 3e9 {
		t.Errorf("1e9 ticks later at 1 GHz: %d ns, want 3e9", got)
	}
	if clockSeq%2 != 0 {
		t.Errorf("clockSeq %d is odd after the change", clockSeq)
	}
}

// TestCalibrateTimer: the APIC timer's rate from samples with a stall inside one read.
func TestCalibrateTimer(t *testing.T) {
	const hz = 1e9
	ns, reads := int64(1e6), 0
	count := uint32(0xFFFFFFFF)
	cal := calibrateTimer(func() lapicSample {
		reads++
		w := int64(80)
		if reads == 30 {
			w = 50e3 // the host stalled the vCPU inside this read
		}
		s := lapicSample{ns: ns + w/2, width: w, count: count - uint32((ns+w/2-1e6)*hz/1e9)}
		ns += w + 400
		return s
	})
	if e := relErr(cal, hz); e > 0.001 {
		t.Errorf("%d Hz, want %d", cal, uint64(hz))
	}
}
