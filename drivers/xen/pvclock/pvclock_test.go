package pvclock

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	si "github.com/unikgen/unikgen/drivers/xen/sharedinfo"
)

func bigScale(delta uint64, mul uint32, shift int8) uint64 {
	d := new(big.Int).SetUint64(delta)
	if shift >= 0 {
		d.Lsh(d, uint(shift))
		d.And(d, new(big.Int).SetUint64(^uint64(0))) // the shift is 64-bit in Xen too
	} else {
		d.Rsh(d, uint(-shift))
	}
	d.Mul(d, new(big.Int).SetUint64(uint64(mul)))
	d.Rsh(d, 32)
	return d.Uint64()
}

func TestScale(t *testing.T) {
	tests := []struct {
		delta uint64
		mul   uint32
		shift int8
		want  uint64
	}{
		{0, 0x80000000, 0, 0},
		{1000, 0x80000000, 1, 1000},        // (d << 1) * 2^31 >> 32 = d
		{3_000_000_000, 0xaaaaaaab, -1, 0}, // want 0: taken from bigScale
		{1 << 62, 0xffffffff, 1, 0},
		{^uint64(0), 0xffffffff, -3, 0},
		{123456789012345, 0x9e4bdb1a, -2, 0},
	}
	for _, tt := range tests {
		want := bigScale(tt.delta, tt.mul, tt.shift)
		if tt.want != 0 && tt.want != want {
			t.Fatalf("bad table entry %+v: big says %d", tt, want)
		}
		if got := Scale(tt.delta, tt.mul, tt.shift); got != want {
			t.Errorf("Scale(%d, %#x, %d) = %d, want %d", tt.delta, tt.mul, tt.shift, got, want)
		}
	}
	// A 3 GHz TSC: shift -1, mul = 2^32 * 2/3: one second of ticks is one second of ns.
	if got := Scale(3_000_000_000, 0xaaaaaaab, -1); got < 999_999_999 || got > 1_000_000_001 {
		t.Errorf("3 GHz second = %d ns", got)
	}
	if hz := tscHz(0xaaaaaaab, -1); hz < 2_999_999_990 || hz > 3_000_000_010 {
		t.Errorf("tscHz = %d, want ~3e9", hz)
	}
}

// page is a fake shared_info page.
type page struct{ b []byte }

func newPage(t *testing.T) *page {
	p := &page{b: make([]byte, 4096)}
	si.Use(hw.Addr(p.b))
	t.Cleanup(func() { si.Use(0); last.Store(0) })
	return p
}

func (p *page) setTime(version uint32, stamp, sys uint64, mul uint32, shift int8) {
	b := p.b[si.VcpuTime:]
	binary.LittleEndian.PutUint32(b[0:], version)
	binary.LittleEndian.PutUint64(b[8:], stamp)
	binary.LittleEndian.PutUint64(b[16:], sys)
	binary.LittleEndian.PutUint32(b[24:], mul)
	b[28] = byte(shift)
}

func TestSystemTime(t *testing.T) {
	p := newPage(t)
	if Ready() {
		t.Fatal("Ready with mul = 0")
	}
	p.setTime(2, 1000, 5_000_000, 0x80000000, 0) // 2 GHz-style: 2 ticks per ns
	if !Ready() {
		t.Fatal("not Ready")
	}
	ti := si.VcpuInfo(0) + si.VcpuTime
	if got := systemTime(ti, func() uint64 { return 3000 }); got != 5_000_000+1000 {
		t.Fatalf("systemTime = %d", got)
	}

	// Xen updates the record while we read it: the version changes under the TSC read, so
	// systemTime reads again and uses the new record.
	p.setTime(4, 1000, 7_000_000, 0x80000000, 0)
	calls := 0
	tsc := func() uint64 {
		calls++
		if calls == 1 {
			p.setTime(6, 2000, 9_000_000, 0x80000000, 0)
		}
		return 4000
	}
	got := systemTime(ti, tsc)
	if got != 9_000_000+1000 || calls != 2 {
		t.Fatalf("systemTime across an update = %d after %d TSC reads, want %d after 2", got, calls, 9_001_000)
	}
}

func TestNanotimeMonotonic(t *testing.T) {
	p := newPage(t)
	p.setTime(2, 0, 1<<40, 0x80000000, 0)
	a := Nanotime()
	if a < 1<<40 {
		t.Fatalf("Nanotime = %d, want >= %d", a, int64(1<<40))
	}
	// Xen moves system time back (an unstable TSC across an update): Nanotime holds still.
	p.setTime(4, ^uint64(0)>>1, 1<<30, 0x80000000, 0)
	if b := Nanotime(); b < a {
		t.Fatalf("Nanotime went back: %d after %d", b, a)
	}
}

func TestWallClock(t *testing.T) {
	p := newPage(t)
	binary.LittleEndian.PutUint32(p.b[si.OffWcVersion:], 2)
	binary.LittleEndian.PutUint32(p.b[si.OffWcSec:], 0x00000010)
	binary.LittleEndian.PutUint32(p.b[si.OffWcNsec:], 900_000_000)
	binary.LittleEndian.PutUint32(p.b[si.OffWcSecHi:], 1)
	// System time 2.2 s; mul 0 makes the TSC delta irrelevant.
	p.setTime(2, 0, 2_200_000_000, 0, 0)
	sec, nsec := WallClock()
	if sec != 1<<32+0x10+3 || nsec != 100_000_000 {
		t.Fatalf("WallClock = %d.%09d, want %d.100000000", sec, nsec, int64(1<<32+0x10+3))
	}
}

func TestAddNanos(t *testing.T) {
	for _, tt := range []struct{ sec, nsec, ns, wsec, wnsec int64 }{
		{0, 0, 0, 0, 0},
		{1, 999_999_999, 1, 2, 0},
		{10, 500_000_000, 2_600_000_000, 13, 100_000_000},
		{10, 0, -1, 9, 999_999_999},
	} {
		s, n := addNanos(tt.sec, tt.nsec, tt.ns)
		if s != tt.wsec || n != tt.wnsec {
			t.Errorf("addNanos(%d, %d, %d) = %d, %d; want %d, %d", tt.sec, tt.nsec, tt.ns, s, n, tt.wsec, tt.wnsec)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	p := newPage(t)
	p.setTime(2, 0, 1000, 0x80000000, 0)
	allocs := testing.AllocsPerRun(100, func() {
		Nanotime()
		WallClock()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}

// A TSC read that is behind the record's tsc_timestamp (Xen stamped the record on another
// physical CPU, or wrote the TSC back to resynchronise it, under a QEMU TCG host) must count as no
// time since the stamp, not as 2^64 - d ticks: such a reading, latched as the largest time
// returned, would stop the clock, and with it every timer of the kernel.
func TestSystemTimeTSCBehindStamp(t *testing.T) {
	p := newPage(t)
	p.setTime(2, 10_000, 5_000_000, 0x80000000, 0)
	ti := si.VcpuInfo(0) + si.VcpuTime
	if got := systemTime(ti, func() uint64 { return 9_000 }); got != 5_000_000 {
		t.Fatalf("systemTime with the TSC 1000 ticks behind the stamp = %d, want 5000000 (the stamp's time)", got)
	}
	// Through Nanotime (the real TSC is far behind this stamp): time stays near the record's
	// and runs on once Xen publishes a record the TSC is past.
	p.setTime(4, ^uint64(0)>>1, 1<<40, 0x80000000, 0)
	a := Nanotime()
	if a != 1<<40 {
		t.Fatalf("Nanotime with the TSC behind the stamp = %d, want %d", a, int64(1<<40))
	}
	p.setTime(6, hw.Rdtsc(), 1<<40+1e9, 0x80000000, 0)
	if b := Nanotime(); b < 1<<40+1e9 || b > 1<<40+2e9 {
		t.Fatalf("Nanotime after a good record = %d, want just past %d", b, int64(1<<40+1e9))
	}
}

// An HVM domain's record may carry a negative tsc_timestamp (Xen writes -gtsc(-stime) while the
// domain's guest time is below zero, seen under the nested Xen: 0xfffffffff44e17b8): the TSC is
// then ahead of the stamp modulo 2^64 and time runs on from system_time.
func TestSystemTimeNegativeStamp(t *testing.T) {
	p := newPage(t)
	stamp := uint64(0xfffffffff44e17b8) // -196,208,712
	p.setTime(2, stamp, 7_000_000, 0x80000000, 0)
	ti := si.VcpuInfo(0) + si.VcpuTime
	tsc := uint64(0x4cfcdfe5) // 1,291,640,805
	want := uint64(7_000_000 + (1_291_640_805+196_208_712)/2)
	if got := systemTime(ti, func() uint64 { return tsc }); got != want {
		t.Fatalf("systemTime with stamp %#x and TSC %#x = %d, want %d", stamp, tsc, got, want)
	}
}
