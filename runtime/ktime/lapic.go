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
)

func lapicRead(reg uintptr) uint32     { return *arch.U32(lapicBase + reg) }
func lapicWrite(reg uintptr, v uint32) { *arch.U32(lapicBase + reg) = v }

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
	t0 := Nanotime()
	for Nanotime()-t0 < 500e3 {
		arch.Pause()
	}
	elapsed := Nanotime() - t0
	ticks := 0xFFFFFFFF - lapicRead(lapicCurrent)
	lapicWrite(lapicInitial, 0)
	lapicHz = uint64(ticks) * 1e9 / uint64(elapsed)
	if lapicHz == 0 {
		lapicHz = 1e9
	}
	lapicWrite(lapicLVTTimer, TimerVector) // one-shot, unmasked
}

// Arm programs the timer to interrupt at the monotonic time deadline (ns); 0 disarms it. A
// deadline in the past fires at once.
func Arm(deadline int64) {
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
	ticks := uint64(d) * (lapicHz / 1000) / 1e6
	if ticks == 0 {
		ticks = 1
	}
	if ticks > 0xFFFFFFFF {
		ticks = 0xFFFFFFFF
	}
	lapicWrite(lapicInitial, uint32(ticks))
}

// TimerFired acknowledges a timer interrupt.
func TimerFired() {
	armed = 0
	EOI()
}

// EOI signals the end of an APIC interrupt.
func EOI() { lapicWrite(lapicEOI, 0) }
