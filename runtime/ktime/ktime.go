// Package ktime keeps time for the library OS: a monotonic clock from the TSC (calibrated against
// the PIT on PC-like machines, or taken from the platform, e.g. Xen's pvclock), the wall clock
// read once at boot, and the one-shot local APIC timer that wakes the scheduler.
//
// Reference: Intel SDM Vol. 3A §17.17 (time-stamp counter), §10.5.4 (APIC timer); Intel 8254
// Programmable Interval Timer datasheet (mode 0, channel 2 gate on port 0x61).
package ktime

import (
	"math/bits"

	"github.com/unikgen/unikgen/runtime/arch"
)

var (
	tscBase  uint64 // TSC at boot: monotonic time 0
	tscMult  uint64 // ns = (tsc - tscBase) * tscMult >> 32
	tscHz    uint64
	wallBase int64 // wall-clock ns at monotonic time 0

	// platformNanotime, when set, replaces the TSC clock (Xen pvclock).
	platformNanotime func() int64
)

// SetTSCHz sets the TSC frequency and makes now monotonic time 0.
func SetTSCHz(hz uint64) {
	tscHz = hz
	tscMult = (uint64(1e9) << 32) / hz
	tscBase = arch.Rdtsc()
}

// TSCHz returns the calibrated TSC frequency.
func TSCHz() uint64 { return tscHz }

// UsePlatformClock makes f the monotonic clock (ns since an arbitrary origin, never decreasing).
func UsePlatformClock(f func() int64) { platformNanotime = f }

// Nanotime returns monotonic nanoseconds since boot.
func Nanotime() int64 {
	if platformNanotime != nil {
		return platformNanotime()
	}
	hi, lo := bits.Mul64(arch.Rdtsc()-tscBase, tscMult)
	return int64(hi<<32 | lo>>32)
}

// SetWallClock records that the wall clock reads wallNs (ns since the Unix epoch) now.
func SetWallClock(wallNs int64) { wallBase = wallNs - Nanotime() }

// Walltime returns ns since the Unix epoch.
func Walltime() int64 { return wallBase + Nanotime() }

// PIT (8254) ports and its input clock.
const (
	pitHz      = 1193182
	pitCh0     = 0x40
	pitCommand = 0x43
)

// CalibrateTSC measures the TSC frequency against channel 0 of the PIT over about 2 ms: the
// channel counts down from 65536 at 1.193182 MHz, and its count is latched and read until enough
// PIT ticks have passed. (Channel 2 would need the port 0x61 gate, which QEMU's microvm lacks.)
// It returns 0 when no PIT answers (a Xen PVH guest has none).
func CalibrateTSC() uint64 {
	const window = pitHz / 500 // 2 ms: 2386 PIT ticks, so the rounding error is below 0.05%
	arch.Outb(0x21, 0xff)      // mask the 8259 PICs: channel 0 drives IRQ 0
	arch.Outb(0xA1, 0xff)
	arch.Outb(pitCommand, 0x34) // channel 0, lobyte/hibyte, mode 2 (rate generator), binary
	arch.Outb(pitCh0, 0)
	arch.Outb(pitCh0, 0) // count 0 = 65536
	read := func() uint16 {
		arch.Outb(pitCommand, 0x00) // latch channel 0
		lo := arch.Inb(pitCh0)
		return uint16(arch.Inb(pitCh0))<<8 | uint16(lo)
	}
	prev := read()
	t0 := arch.Rdtsc()
	elapsed := 0
	for i := 0; elapsed < window; i++ {
		if i > 2_000_000 {
			return 0
		}
		cur := read()
		elapsed += int(prev - cur)
		prev = cur
	}
	t1 := arch.Rdtsc()
	if t1 <= t0 {
		return 0
	}
	return (t1 - t0) * pitHz / uint64(elapsed)
}

// CMOS real-time clock (MC146818) ports and registers.
const (
	cmosIndex = 0x70
	cmosData  = 0x71
)

func cmos(reg uint8) uint8 {
	arch.Outb(cmosIndex, reg)
	return arch.Inb(cmosData)
}

// ReadRTC returns the CMOS clock as seconds since the Unix epoch, or false when there is none.
func ReadRTC() (int64, bool) {
	for i := 0; cmos(0x0A)&0x80 != 0; i++ { // update in progress
		if i > 1_000_000 {
			return 0, false
		}
	}
	sec, min, hour := cmos(0x00), cmos(0x02), cmos(0x04)
	day, mon, year, cent := cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32)
	if sec == 0xff && min == 0xff {
		return 0, false
	}
	b := cmos(0x0B)
	if b&0x04 == 0 { // BCD
		bcd := func(v uint8) uint8 { return v&0x0f + v>>4*10 }
		sec, min, day, mon, year, cent = bcd(sec), bcd(min), bcd(day), bcd(mon), bcd(year), bcd(cent)
		hour = bcd(hour&0x7f) | hour&0x80
	}
	if b&0x02 == 0 && hour&0x80 != 0 { // 12-hour clock, PM
		hour = (hour&0x7f)%12 + 12
	}
	y := int64(year) + 100*int64(cent)
	if cent == 0 {
		y = 2000 + int64(year)
	}
	return daysFromCivil(y, int64(mon), int64(day))*86400 + int64(hour)*3600 + int64(min)*60 + int64(sec), true
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// vdsoClockGettime and vdsoClockGettimePV are __vdso_clock_gettime for the TSC clock and for
// Xen's pvclock (vdso_amd64.s).
func vdsoClockGettime()
func vdsoClockGettimePV()

// VDSOClockGettimePC returns the address of the TSC clock's vDSO clock_gettime.
func VDSOClockGettimePC() uintptr
func vdsoClockGettimePVPC() uintptr

// pvti is the address of the pvclock record the vDSO reads on Xen, 0 elsewhere.
var pvti uintptr

// UsePVClockVDSO makes the vDSO read Xen's pvclock record (struct vcpu_time_info) at addr, the
// record the platform clock (UsePlatformClock) reads too.
func UsePVClockVDSO(addr uintptr) { pvti = addr }

// VDSO returns the address of the clock_gettime that program code can call instead of the system
// call, and false when the clock cannot be read from program context.
func VDSO() (uintptr, bool) {
	switch {
	case platformNanotime == nil && tscMult != 0:
		return VDSOClockGettimePC(), true
	case platformNanotime != nil && pvti != 0:
		return vdsoClockGettimePVPC(), true
	}
	return 0, false
}
