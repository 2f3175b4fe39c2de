// Package pvclock reads Xen's paravirtual clock: the monotonic system time from vcpu_info's
// vcpu_time_info and the wall clock from shared_info.
//
// Reference: xen/include/public/xen.h, struct vcpu_time_info and the wc_* fields of struct
// shared_info, Xen 4.17 (layout in package sharedinfo).
//
// Xen publishes, per vCPU, a TSC stamp and the system time (ns since the host booted) at that
// stamp, plus a scale. System time now is
//
//	d  = rdtsc() - tsc_timestamp
//	d  = tsc_shift >= 0 ? d << tsc_shift : d >> -tsc_shift
//	ns = system_time + (d * tsc_to_system_mul) >> 32      (64x32-bit product, 96 bits wide)
//
// read under a version counter: odd while Xen updates the record, changed if it updated it
// meanwhile; either way read again. d is taken modulo 2^64 (an HVM domain's stamp
// may be negative: Xen writes -gtsc(-stime) when its guest time is below zero), and a TSC that
// reads behind tsc_timestamp (a negative d as a signed number) counts as d = 0 rather than a time
// centuries ahead. The wall clock at system time 0 is wc_sec_hi:wc_sec, wc_nsec,
// under wc_version the same way.
//
// All functions run in kernel context: no allocation, pointer-free state.
package pvclock

import (
	"math/bits"
	"sync/atomic"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	si "github.com/unikgen/unikgen/drivers/xen/sharedinfo"
)

// last is the largest time returned so far: Nanotime never goes backwards, even when Xen does not
// promise a stable TSC.
var last atomic.Uint64

// Ready reports whether shared_info is mapped and Xen has published vCPU 0's time.
func Ready() bool {
	vi := si.VcpuInfo(0)
	return vi != 0 && hw.Load32(vi+si.VcpuTimeMul) != 0
}

// Nanotime returns Xen system time in nanoseconds: monotonic, from vCPU 0's time record. It
// returns 0 when shared_info is not mapped.
//
//go:nosplit
func Nanotime() int64 {
	vi := si.VcpuInfo(0)
	if vi == 0 {
		return 0
	}
	t := systemTime(vi+si.VcpuTime, hw.Rdtsc)
	for {
		l := last.Load()
		if t <= l {
			return int64(l)
		}
		if last.CompareAndSwap(l, t) {
			return int64(t)
		}
	}
}

// WallClock returns the current time of day as seconds and nanoseconds since the Unix epoch:
// shared_info's wall clock at system time 0 plus Nanotime.
//
//go:nosplit
func WallClock() (sec, nsec int64) {
	s := si.Addr()
	if s == 0 {
		return 0, 0
	}
	bsec, bnsec := wallBase(s)
	return addNanos(bsec, bnsec, Nanotime())
}

// TSCHz returns the TSC frequency implied by vCPU 0's scale, or 0 when unknown.
func TSCHz() uint64 {
	vi := si.VcpuInfo(0)
	if vi == 0 {
		return 0
	}
	return tscHz(hw.Load32(vi+si.VcpuTimeMul), int8(hw.Load8(vi+si.VcpuTimeShift)))
}

// Record offsets inside vcpu_time_info (relative to sharedinfo.VcpuTime).
const (
	tiVersion = si.VcpuTimeVersion - si.VcpuTime
	tiTSC     = si.VcpuTimeTSC - si.VcpuTime
	tiSystem  = si.VcpuTimeSystemTime - si.VcpuTime
	tiMul     = si.VcpuTimeMul - si.VcpuTime
	tiShift   = si.VcpuTimeShift - si.VcpuTime
)

// systemTime reads the vcpu_time_info at ti consistently and converts the TSC value read inside
// the consistent window.
//
//go:nosplit
func systemTime(ti uintptr, rdtsc func() uint64) uint64 {
	for {
		v := hw.Load32(ti + tiVersion)
		if v&1 != 0 {
			hw.Pause()
			continue
		}
		stamp := hw.Load64(ti + tiTSC)
		sys := hw.Load64(ti + tiSystem)
		mul := hw.Load32(ti + tiMul)
		shift := int8(hw.Load8(ti + tiShift))
		tsc := rdtsc()
		if hw.Load32(ti+tiVersion) != v {
			continue
		}
		d := tsc - stamp // modulo 2^64: Xen writes a negative stamp as its two's complement
		if int64(d) < 0 {
			// The TSC is behind the stamp (Xen stamped the record from another physical
			// CPU's TSC, or wrote the TSC back to resynchronise it): no time has passed
			// since the stamp. The wrapped difference would be a time centuries ahead that
			// Nanotime would keep as its floor, stopping the clock for good.
			d = 0
		}
		return sys + Scale(d, mul, shift)
	}
}

// Scale converts a TSC delta to nanoseconds with Xen's (mul, shift) pair.
//
//go:nosplit
func Scale(delta uint64, mul uint32, shift int8) uint64 {
	if shift >= 0 {
		delta <<= uint(shift)
	} else {
		delta >>= uint(-shift)
	}
	hi, lo := bits.Mul64(delta, uint64(mul))
	return hi<<32 | lo>>32
}

// tscHz inverts Scale: ticks per second = 10^9 * 2^32 / mul, corrected by the shift.
func tscHz(mul uint32, shift int8) uint64 {
	if mul == 0 {
		return 0
	}
	hi, lo := bits.Mul64(1e9, 1<<32)
	q, _ := bits.Div64(hi, lo, uint64(mul))
	if shift >= 0 {
		return q >> uint(shift)
	}
	return q << uint(-shift)
}

// wallBase reads shared_info's wall clock at system time 0.
//
//go:nosplit
func wallBase(s uintptr) (sec, nsec int64) {
	for {
		v := hw.Load32(s + si.OffWcVersion)
		if v&1 != 0 {
			hw.Pause()
			continue
		}
		lo := hw.Load32(s + si.OffWcSec)
		ns := hw.Load32(s + si.OffWcNsec)
		hi := hw.Load32(s + si.OffWcSecHi)
		if hw.Load32(s+si.OffWcVersion) != v {
			continue
		}
		return int64(uint64(hi)<<32 | uint64(lo)), int64(ns)
	}
}

// addNanos returns sec.nsec + ns, normalised so that 0 <= nsec < 1e9.
//
//go:nosplit
func addNanos(sec, nsec, ns int64) (int64, int64) {
	sec += ns / 1e9
	nsec += ns % 1e9
	for nsec >= 1e9 {
		sec++
		nsec -= 1e9
	}
	for nsec < 0 {
		sec--
		nsec += 1e9
	}
	return sec, nsec
}
