package sys

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/sched"
)

func readTimespec(addr uintptr) (int64, bool) {
	sec := int64(*arch.U64(addr))
	nsec := int64(*arch.U64(addr + 8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, false
	}
	if sec > 1<<33 {
		sec = 1 << 33
	}
	return sec*1e9 + nsec, true
}

func writeTimespec(addr uintptr, ns int64) {
	*arch.U64(addr) = uint64(ns / 1e9)
	*arch.U64(addr + 8) = uint64(ns % 1e9)
}

// clock returns the time of clock id, in ns.
func clock(id uint64) (int64, bool) {
	switch id {
	case 0, 5, 8: // REALTIME, REALTIME_COARSE, REALTIME_ALARM
		return ktime.Walltime(), true
	case 1, 4, 6, 7, 9, 2, 3: // MONOTONIC, _RAW, _COARSE, BOOTTIME, _ALARM; CPU-time clocks
		return ktime.Nanotime(), true
	}
	return 0, false
}

// ClockGettime implements clock_gettime(2).
func ClockGettime(r *sched.Regs) int64 {
	ns, ok := clock(r.RDI)
	if !ok {
		return -errno.EINVAL
	}
	writeTimespec(uintptr(r.RSI), ns)
	return 0
}

// ClockGetres implements clock_getres(2): 1 ns.
func ClockGetres(r *sched.Regs) int64 {
	if _, ok := clock(r.RDI); !ok {
		return -errno.EINVAL
	}
	if r.RSI != 0 {
		writeTimespec(uintptr(r.RSI), 1)
	}
	return 0
}

// Gettimeofday implements gettimeofday(2).
func Gettimeofday(r *sched.Regs) int64 {
	if r.RDI != 0 {
		ns := ktime.Walltime()
		*arch.U64(uintptr(r.RDI)) = uint64(ns / 1e9)
		*arch.U64(uintptr(r.RDI) + 8) = uint64(ns % 1e9 / 1e3)
	}
	return 0
}

// Time implements time(2).
func Time(r *sched.Regs) int64 {
	s := ktime.Walltime() / 1e9
	if r.RDI != 0 {
		*arch.U64(uintptr(r.RDI)) = uint64(s)
	}
	return s
}

// sleepSlack is the shortest sleep: a shorter one lasts this long. There is one CPU, and the Go
// runtime's sysmon thread polls with sleeps from 20 µs while the program runs (on Linux it has a
// CPU of its own); waking it every 20 µs would take the CPU from the program for nothing.
const sleepSlack = 1e6

// sleepUntil blocks the thread until the monotonic deadline.
func sleepUntil(deadline int64) int64 {
	now := ktime.Nanotime()
	if deadline <= now {
		return 0
	}
	if deadline < now+sleepSlack {
		deadline = now + sleepSlack
	}
	sched.Block(sched.WaitSleep, 0, deadline)
	return 0
}

// Nanosleep implements nanosleep(2).
func Nanosleep(r *sched.Regs) int64 {
	d, ok := readTimespec(uintptr(r.RDI))
	if !ok {
		return -errno.EINVAL
	}
	return sleepUntil(ktime.Nanotime() + d)
}

// ClockNanosleep implements clock_nanosleep(2).
func ClockNanosleep(r *sched.Regs) int64 {
	d, ok := readTimespec(uintptr(r.RDX))
	if !ok {
		return -errno.EINVAL
	}
	if r.RSI&1 != 0 { // TIMER_ABSTIME
		now, ok := clock(r.RDI)
		if !ok {
			return -errno.EINVAL
		}
		d -= now
	}
	return sleepUntil(ktime.Nanotime() + d)
}

// futex(2) operations.
const (
	futexWait       = 0
	futexWake       = 1
	futexWaitBitset = 9
	futexWakeBitset = 10
	futexCmdMask    = 0x7f
	futexRealtime   = 256
)

// Futex implements FUTEX_WAIT and FUTEX_WAKE (and their _BITSET forms, bitsets ignored).
func Futex(r *sched.Regs) int64 {
	addr := uintptr(r.RDI)
	switch r.RSI & futexCmdMask {
	case futexWait, futexWaitBitset:
		if *arch.U32(addr) != uint32(r.RDX) {
			return -errno.EAGAIN
		}
		var deadline int64
		if ts := uintptr(r.R10); ts != 0 {
			d, ok := readTimespec(ts)
			if !ok {
				return -errno.EINVAL
			}
			if r.RSI&futexCmdMask == futexWaitBitset { // absolute
				now, _ := clock(0)
				if r.RSI&futexRealtime == 0 {
					now = ktime.Nanotime()
				}
				d -= now
			}
			if d <= 0 {
				return -errno.ETIMEDOUT
			}
			deadline = ktime.Nanotime() + d
		}
		sched.Block(sched.WaitFutex, addr, deadline)
		return 0
	case futexWake, futexWakeBitset:
		return int64(sched.FutexWake(addr, int(int32(r.RDX))))
	}
	return -errno.ENOSYS
}

// SchedYield implements sched_yield(2).
func SchedYield(r *sched.Regs) int64 {
	sched.Yield()
	return 0
}
