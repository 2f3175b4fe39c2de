package ktime

// Measuring the TSC's rate against the PIT.
//
// Under QEMU's TCG the guest's TSC is the host's TSC, and PIT channel 0 counts at 1.193182 MHz of
// the host's monotonic clock (QEMU_CLOCK_VIRTUAL), so the TSC's rate relative to the PIT is the
// rate the guest's clock must have. The vCPU, though, is a host thread that the host may
// deschedule at any instruction, for milliseconds, or for longer than the 55 ms after which the
// 16-bit count wraps. A single short measurement (the former 2 ms window) therefore came out 1-9%
// off on an idle host and 11-90x off on a busy one. So:
//
//   - every sample reads the TSC just before and just after the latch command; the difference,
//     its width, bounds how far the TSC value is from the moment the count was latched, and a
//     sample that is much wider than the narrowest (the host descheduled the vCPU inside it) is
//     not used as a time reference;
//   - at boot, the rate is measured over 7 consecutive segments of 101 µs; the median segment
//     rejects those in which a stall longer than a wrap lost counts, and the others are summed
//     (about 1.5 ms in all with the warm-up reads, within about 0.1% under TCG);
//   - after boot, the timer interrupt takes a sample (the narrowest of three reads) 10 ms after
//     boot, then at intervals that double up to 0.5 s (4 s once a second has been measured), and
//     extends the measurement from the last one. The wraps missed between two samples are counted by predicting the PIT's progress
//     from the TSC at the current rate, which is safe while the prediction cannot be off by half
//     a wrap (the intervals are bounded for that; a longer gap starts a new chain). The rate is
//     the sum of the TSC ticks over the sum of the PIT ticks, so its error shrinks as the
//     measurement grows (1 µs of uncertainty over 10 s is 0.1 ppm); past a minute both sums are
//     halved, so that the rate follows the host clock if it drifts. Each new rate applies from
//     now on, and the clock stays continuous.

import (
	"math/bits"

	"github.com/unikgen/unikgen/runtime/arch"
)

// PIT (8254) ports and its input clock.
const (
	pitHz      = 1193182
	pitCh0     = 0x40
	pitCommand = 0x43
	pitWrap    = 1 << 16 // channel 0 counts down from 65536 (written as 0) in mode 2
)

// pitSample is one reading of PIT channel 0.
type pitSample struct {
	tsc   uint64 // TSC halfway through the latch command
	width uint64 // TSC ticks from just before to just after the latch command
	count uint16 // the count, which runs down and wraps every 65536 ticks (54.9 ms)
}

// readPIT latches and reads channel 0's count, between two reads of the TSC.
func readPIT() pitSample {
	t0 := arch.Rdtsc()
	arch.Outb(pitCommand, 0x00) // counter latch command, channel 0
	t1 := arch.Rdtsc()
	lo := arch.Inb(pitCh0)
	hi := arch.Inb(pitCh0)
	return pitSample{tsc: t0 + (t1-t0)/2, width: t1 - t0, count: uint16(hi)<<8 | uint16(lo)}
}

// pitElapsed returns the PIT ticks from count a to count b, modulo a wrap.
func pitElapsed(a, b uint16) uint64 { return uint64(a - b) }

// mulDiv returns a*b/c, and false when the quotient does not fit in 64 bits or c is 0.
func mulDiv(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if c == 0 || hi >= c {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, c)
	return q, true
}

// Boot calibration.
const (
	calWarmup   = 16  // samples read first: their narrowest width sets the widest one accepted
	calSegments = 7   // segments measured; the median one tells the spoilt ones
	calSegTicks = 120 // PIT ticks per segment (101 µs)
	calMaxReads = 200_000
	calNoPIT    = 2_000 // reads after which a count that never moved means there is no PIT
)

// acceptableWidth is the widest sample trusted as a time reference, given the narrowest seen.
func acceptableWidth(narrowest uint64) uint64 { return 3*narrowest + 64 }

// segmentRate combines the rate measurements num[i]/den[i] (times scale): it finds the median
// rate, drops the segments more than 1/32 away from it, and returns the summed num and den of the
// others. ok is false with fewer than 3 segments. num and den are reordered.
func segmentRate(num, den []uint64, scale uint64) (sumNum, sumDen uint64, ok bool) {
	n := len(num)
	if n < 3 || len(den) != n {
		return 0, 0, false
	}
	var rates [16]uint64
	if n > len(rates) {
		n = len(rates)
	}
	for i := 0; i < n; i++ {
		rates[i], _ = mulDiv(num[i], scale, den[i])
	}
	sorted := rates
	for i := 1; i < n; i++ { // insertion sort
		for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	med := sorted[n/2]
	for i := 0; i < n; i++ {
		if r := rates[i]; r+med/32 >= med && r <= med+med/32 {
			sumNum += num[i]
			sumDen += den[i]
		}
	}
	return sumNum, sumDen, sumDen != 0
}

// calibration is the result of calibrate.
type calibration struct {
	hz             uint64    // TSC ticks per second; 0 when the PIT does not count
	sumTSC, sumPIT uint64    // what the rate was computed from
	maxWidth       uint64    // the widest sample accepted
	last           pitSample // the last sample accepted: the start of the background measurement
}

// calibrate measures the TSC's rate with the samples that read returns (readPIT in the kernel).
func calibrate(read func() pitSample) calibration {
	var c calibration
	narrowest := ^uint64(0)
	first := read()
	moved := false
	for i := 0; i < calWarmup; i++ {
		s := read()
		narrowest = min(narrowest, s.width)
		moved = moved || s.count != first.count
	}
	c.maxWidth = acceptableWidth(narrowest)
	var tsc, ticks [calSegments]uint64
	n, acc := 0, uint64(0)
	start := read()
	for reads := 0; reads < calMaxReads && start.width > c.maxWidth; reads++ {
		start = read()
	}
	prev := start
	for reads := 0; n < calSegments && reads < calMaxReads; reads++ {
		s := read()
		moved = moved || s.count != prev.count
		if !moved && reads >= calNoPIT {
			return c
		}
		acc += pitElapsed(prev.count, s.count)
		prev = s
		if acc < calSegTicks || s.width > c.maxWidth {
			continue
		}
		tsc[n], ticks[n] = s.tsc-start.tsc, acc
		n++
		start, acc = s, 0
	}
	sumTSC, sumPIT, ok := segmentRate(tsc[:n], ticks[:n], pitHz)
	if !ok {
		return c
	}
	c.hz, _ = mulDiv(sumTSC, pitHz, sumPIT)
	c.sumTSC, c.sumPIT, c.last = sumTSC, sumPIT, start
	return c
}

// Background measurement.
const (
	trackFirst    = 10e6  // ns from boot to the first sample
	trackMaxEarly = 500e6 // the longest interval while the rate is known within 1/64
	trackMax      = 4e9   // the longest interval once it is known within 1/1024
	trackRetry    = 1e6   // the interval after a sample too wide to use, doubled for each in a row
	trackReads    = 3     // samples read each time; the narrowest is used
	trackForget   = 60 * pitHz
)

// tracker extends the rate measurement sample by sample.
type tracker struct {
	anchor         pitSample // the last sample used
	sumTSC, sumPIT uint64    // TSC ticks and PIT ticks measured
	maxWidth       uint64
}

// precise reports whether the rate is known within 1/1024: a second of PIT ticks has been
// measured with samples whose TSC is known within a few µs.
func (t *tracker) precise() bool { return t.sumPIT >= pitHz }

// add extends the measurement to sample s, given the rate hz the clock runs at now, and returns
// the new rate, or 0 when s changes nothing: s is too wide to trust, or too far from the last
// sample to count the wraps in between (then s starts a new chain).
func (t *tracker) add(s pitSample, hz uint64) uint64 {
	if s.width > t.maxWidth {
		return 0
	}
	dt := s.tsc - t.anchor.tsc
	low := pitElapsed(t.anchor.count, s.count)
	// The PIT ticks the TSC predicts are off by at most exp>>tol: the counted ticks are the value
	// congruent to low closest to exp, which is right while that error stays below half a wrap.
	tol := uint(6)
	if t.precise() {
		tol = 10
	}
	exp, ok := mulDiv(dt, pitHz, hz)
	if !ok || int64(dt) < 0 || exp>>tol > pitWrap/4 {
		t.anchor = s
		return 0
	}
	ticks := low
	if exp > low {
		ticks += (exp - low + pitWrap/2) &^ (pitWrap - 1)
	}
	t.anchor = s
	t.sumTSC += dt
	t.sumPIT += ticks
	if t.sumPIT > trackForget {
		t.sumTSC /= 2
		t.sumPIT /= 2
	}
	if t.sumPIT == 0 {
		return 0
	}
	r, _ := mulDiv(t.sumTSC, pitHz, t.sumPIT)
	return r
}

var (
	track     tracker
	tracking  bool  // the TSC clock follows the PIT
	trackNext int64 // monotonic ns of the next sample
	trackStep int64 // ns from one sample to the next
	trackWide int   // samples in a row too wide to use
)

// UsePITClock makes the TSC the monotonic clock, its rate measured against PIT channel 0: for
// about 1.5 ms now, then in the background for as long as the machine runs (see the top of this
// file). It returns false when no PIT counts. It masks the 8259 PICs (channel 0 drives IRQ 0).
func UsePITClock() bool {
	arch.Outb(0x21, 0xff)
	arch.Outb(0xA1, 0xff)
	arch.Outb(pitCommand, 0x34) // channel 0, lobyte/hibyte, mode 2 (rate generator), binary
	arch.Outb(pitCh0, 0)
	arch.Outb(pitCh0, 0) // count 0 = 65536
	c := calibrate(readPIT)
	if c.hz == 0 {
		return false
	}
	SetTSCHz(c.hz)
	// Background samples are trusted up to 10 µs wide (the boot samples, read in a tight loop,
	// are narrower): 10 µs over the 10 ms to the first one is 0.1%, over 10 s 1 ppm.
	track = tracker{anchor: c.last, sumTSC: c.sumTSC, sumPIT: c.sumPIT, maxWidth: max(c.maxWidth, c.hz/100_000)}
	tracking = true
	trackStep = trackFirst
	trackNext = trackFirst
	return true
}

// refineRate takes a background sample when one is due (called on timer interrupts) and
// adopts the new rate.
func refineRate(now int64) {
	if !tracking || now < trackNext {
		return
	}
	// The first read after a while is slow (under TCG, cold caches and translation lookups: about
	// 1 µs where a read in a loop takes 0.1 µs); the narrowest of a few is the best reference.
	s := readPIT()
	for i := 1; i < trackReads; i++ {
		if r := readPIT(); r.width < s.width {
			s = r
		}
	}
	if s.width > track.maxWidth {
		// Retry soon, but back off: on a machine where reads are always slow this must not
		// become a timer interrupt every millisecond.
		trackNext = now + min(trackRetry<<min(trackWide, 20), trackStep)
		trackWide++
		return
	}
	trackWide = 0
	if hz := track.add(s, tscHz); hz != 0 {
		setTSCRate(arch.Rdtsc(), hz)
		rescaleTimer(hz)
	}
	limit := int64(trackMaxEarly)
	if track.precise() {
		limit = trackMax
	}
	trackStep = min(2*trackStep, limit)
	trackNext = now + trackStep
}
