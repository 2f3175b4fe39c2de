package sys

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
)

var (
	hasRdrand = -1 // -1: not probed yet
	hasRdseed bool
)

// Random fills b from the CPU's random-number generator: RDRAND, or RDSEED when RDRAND keeps
// failing. It fails, rather than return predictable bytes, when the CPU has neither or both keep
// failing.
func Random(b []byte) bool {
	if hasRdrand < 0 {
		hasRdrand = 0
		if arch.HasRdrand() {
			hasRdrand = 1
		}
		hasRdseed = arch.HasRdseed()
	}
	if hasRdrand == 0 {
		return false
	}
	for len(b) > 0 {
		var v uint64
		ok := false
		for try := 0; try < 100 && !ok; try++ {
			v, ok = arch.Rdrand()
		}
		for try := 0; try < 1000 && !ok && hasRdseed; try++ {
			v, ok = arch.Rdseed()
		}
		if !ok {
			return false
		}
		for i := 0; i < 8 && len(b) > 0; i++ {
			b[0] = byte(v)
			v >>= 8
			b = b[1:]
		}
	}
	return true
}

// Getrandom implements getrandom(2) from RDRAND. Without a hardware generator it fails with
// ENOSYS, so crypto/rand reports an error instead of handing out weak randomness.
func Getrandom(r *sched.Regs) int64 {
	n := r.RSI
	if n > 1<<25 {
		n = 1 << 25
	}
	if n == 0 {
		return 0
	}
	if !Random(arch.Bytes(uintptr(r.RDI), uintptr(n))) {
		if hasRdrand == 0 {
			return -errno.ENOSYS
		}
		return -errno.EAGAIN
	}
	return int64(n)
}
