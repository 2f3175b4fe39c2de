package relay

import "github.com/unikgen/unikgen/runtime/arch"

// UserBytes returns the n bytes of the caller's memory at addr, for a handler reading or writing
// a buffer that a forwarded call names (one address space: the caller waits, its buffer stays
// put). It reports false for the null page and for a range that wraps around.
func UserBytes(addr, n uintptr) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	if addr < 4096 || addr+n < addr {
		return nil, false
	}
	return arch.Bytes(addr, n), true
}
