// Package ktime keeps time for the library OS: a monotonic clock from the TSC (its rate measured
// against the PIT on PC-like machines, at boot and then continuously, or taken from the platform,
// e.g. Xen's pvclock), the wall clock read once at boot, and the one-shot local APIC timer that
// wakes the scheduler.
//
// Under QEMU's TCG the TSC is the host's TSC and the PIT and the APIC timer follow the host's
// CLOCK_MONOTONIC (QEMU_CLOCK_VIRTUAL), but nothing tells the guest the TSC's frequency (no CPUID
// leaf 0x15/0x16/0x40000010, no kvmclock) and the vCPU can be descheduled by the host at any
// instruction: see pit.go for how the rate is measured anyway.
//
// Reference: Intel SDM Vol. 3A §17.17 (time-stamp counter), §10.5.4 (APIC timer); Intel 8254
// Programmable Interval Timer datasheet (mode 2, read-back by counter latch command).
package ktime

import (
	"math/bits"

	"github.com/unikgen/unikgen/runtime/arch"
)

// The TSC clock: ns = nsBase + (tsc - tscBase) * tscMult >> 32. The vDSO reads these words in
// program context, where an interrupt may change them between two reads: clockSeq is incremented
// before and after every change, so a reader that sees it odd or changed reads again.
var (
	clockSeq uint32
	tscBase  uint64 // TSC at monotonic time nsBase
	nsBase   int64
	tscMult  uint64 // ns per TSC tick, 32.32 fixed point
	tscHz    uint64
	wallBase int64 // wall-clock ns at monotonic time 0

	// platformNanotime, when set, replaces the TSC clock (Xen pvclock).
	platformNanotime func() int64
)

// SetTSCHz sets the TSC frequency and makes now monotonic time 0.
func SetTSCHz(hz uint64) {
	clockSeq++
	tscHz = hz
	tscMult = (uint64(1e9) << 32) / hz
	tscBase = arch.Rdtsc()
	nsBase = 0
	clockSeq++
}

// setTSCRate changes the TSC frequency from the TSC value now on, keeping the clock continuous
// and monotonic: the time at now is the same by the old and the new rate.
func setTSCRate(now, hz uint64) {
	ns := tscNanos(now)
	clockSeq++
	tscBase = now
	nsBase = ns
	tscHz = hz
	tscMult = (uint64(1e9) << 32) / hz
	clockSeq++
}

func tscNanos(tsc uint64) int64 {
	hi, lo := bits.Mul64(tsc-tscBase, tscMult)
	return nsBase + int64(hi<<32|lo>>32)
}

// TSCHz returns the TSC frequency the clock uses now.
func TSCHz() uint64 { return tscHz }

// UsePlatformClock makes f the monotonic clock (ns since an arbitrary origin, never decreasing).
func UsePlatformClock(f func() int64) { platformNanotime = f }

// Nanotime returns monotonic nanoseconds since boot.
func Nanotime() int64 {
	if platformNanotime != nil {
		return platformNanotime()
	}
	return tscNanos(arch.Rdtsc())
}

// SetWallClock records that the wall clock reads wallNs (ns since the Unix epoch) now.
func SetWallClock(wallNs int64) { wallBase = wallNs - Nanotime() }

// Walltime returns ns since the Unix epoch.
func Walltime() int64 { return wallBase + Nanotime() }

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
