package ktime

import "github.com/unikgen/unikgen/runtime/arch"

// Local APIC registers (xAPIC MMIO at 0xFEE00000; Intel SDM Vol. 3A table 10-1).
const (
	lapicBase     = 0xFEE00000
	lapicEOI      = 0x0B0
	lapicSpurious = 0x0F0
	lapicLVTTimer = 0x320
	lapicLINT0    = 0x350
	lapicLINT1    = 0x360
	lapicLVTError = 0x370
	lapicInitial  = 0x380
	lapicCurrent  = 0x390
	lapicDivide   = 0x3E0

	lvtMasked = 1 << 16

	// TimerVector is the interrupt vector of the APIC timer.
	TimerVector = 0x20
	// SpuriousVector is the APIC spurious-interrupt vector.
	SpuriousVector = 0xFF
)

var (
	lapicHz uint64 // timer ticks per second (divide by 1)
	armed   int64  // deadline the timer is armed for, 0 = none

	// The timer's rate was measured against the monotonic clock when the TSC ran at
	// lapicTSCHz; when the TSC's rate is corrected, the timer's is corrected in proportion.
	lapicMeasuredHz uint64
	lapicTSCHz      uint64
)

func lapicRead(reg uintptr) uint32     { return *arch.U32(lapicBase + reg) }
func lapicWrite(reg uintptr, v uint32) { *arch.U32(lapicBase + reg) = v }

// lapicSample is one reading of the APIC timer's current count.
type lapicSample struct {
	ns, width int64 // monotonic ns halfway through the read, and how long the read took
	count     uint32
}

func readLAPIC() lapicSample {
	t0 := Nanotime()
	c := lapicRead(lapicCurrent)
	t1 := Nanotime()
	return lapicSample{ns: t0 + (t1-t0)/2, width: t1 - t0, count: c}
}

// Timer calibration: like the TSC's (pit.go), 5 segments of 100 µs between samples whose reads
// took no longer than about the narrowest, combined around the median segment.
const (
	lapicSegments = 5
	lapicSegNs    = 100e3
	lapicMaxReads = 100_000
)

// calibrateTimer returns the timer's ticks per second, measured with the samples read returns
// while the timer counts down from its initial count; 0 when it cannot tell.
func calibrateTimer(read func() lapicSample) uint64 {
	narrowest := int64(1) << 62
	for i := 0; i < calWarmup; i++ {
		narrowest = min(narrowest, read().width)
	}
	maxWidth := int64(acceptableWidth(uint64(narrowest)))
	start := read()
	for i := 0; i < lapicMaxReads && start.width > maxWidth; i++ {
		start = read()
	}
	var ticks, ns [lapicSegments]uint64
	n := 0
	for i := 0; n < lapicSegments && i < lapicMaxReads; i++ {
		s := read()
		if s.ns-start.ns < lapicSegNs || s.width > maxWidth || s.count > start.count {
			continue
		}
		ticks[n], ns[n] = uint64(start.count-s.count), uint64(s.ns-start.ns)
		n++
		start = s
	}
	sumTicks, sumNs, ok := segmentRate(ticks[:n], ns[:n], 1e9)
	if !ok {
		return 0
	}
	hz, _ := mulDiv(sumTicks, 1e9, sumNs)
	return hz
}

// InitTimer enables the local APIC, masks its LINT pins and error interrupt, and measures the APIC
// timer's frequency against the monotonic clock. It also masks the legacy 8259 PICs.
func InitTimer() {
	arch.Outb(0x21, 0xff) // mask both 8259 PICs: they could raise vectors that clash with exceptions
	arch.Outb(0xA1, 0xff)
	base := arch.Rdmsr(arch.MSR_APIC_BASE)
	arch.Wrmsr(arch.MSR_APIC_BASE, base|1<<11) // global enable, xAPIC mode
	lapicWrite(lapicSpurious, 0x100|SpuriousVector)
	lapicWrite(lapicLINT0, lvtMasked)
	lapicWrite(lapicLINT1, lvtMasked)
	lapicWrite(lapicLVTError, lvtMasked)
	lapicWrite(lapicDivide, 0xB) // divide by 1
	lapicWrite(lapicLVTTimer, lvtMasked|TimerVector)
	lapicWrite(lapicInitial, 0xFFFFFFFF)
	lapicHz = calibrateTimer(readLAPIC)
	lapicWrite(lapicInitial, 0)
	if lapicHz == 0 {
		lapicHz = 1e9
	}
	lapicMeasuredHz, lapicTSCHz = lapicHz, tscHz
	lapicWrite(lapicLVTTimer, TimerVector) // one-shot, unmasked
}

// rescaleTimer corrects the timer's rate after the TSC's was corrected to newHz.
func rescaleTimer(newHz uint64) {
	if lapicTSCHz == 0 || platformNanotime != nil {
		return
	}
	if hz, ok := mulDiv(lapicMeasuredHz, newHz, lapicTSCHz); ok && hz != 0 {
		lapicHz = hz
	}
}

// Arm programs the timer to interrupt at the monotonic time deadline (ns); 0 disarms it. A
// deadline in the past fires at once. The timer may also fire earlier, for the clock's own
// measurements (refineRate); the caller sees that as a timer interrupt before its deadline.
func Arm(deadline int64) {
	if tracking && (deadline == 0 || trackNext < deadline) {
		deadline = trackNext
	}
	if deadline == armed && deadline != 0 {
		return
	}
	armed = deadline
	if deadline == 0 {
		lapicWrite(lapicInitial, 0)
		return
	}
	d := deadline - Nanotime()
	if d < 1000 {
		d = 1000
	}
	ticks, ok := mulDiv(uint64(d), lapicHz, 1e9)
	if !ok || ticks > 0xFFFFFFFF {
		ticks = 0xFFFFFFFF
	}
	if ticks == 0 {
		ticks = 1
	}
	if ticks > 0xFFFFFFFF {
		ticks = 0xFFFFFFFF
	}
	lapicWrite(lapicInitial, uint32(ticks))
}

// TimerFired acknowledges a timer interrupt, and measures the clock's rate when that is due.
func TimerFired() {
	armed = 0
	EOI()
	refineRate(Nanotime())
}

// EOI signals the end of an APIC interrupt.
func EOI() { lapicWrite(lapicEOI, 0) }
