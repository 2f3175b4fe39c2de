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

// DMA is device memory for drivers (drivers/virtio.Memory): identity-mapped frames from the
// kernel (relay_dma), whose addresses are also their physical addresses.
type DMA struct{}

// Alloc returns a zeroed 4 KiB frame.
func (DMA) Alloc() (uintptr, error) { return AllocDMA() }

// Bytes views n bytes at addr.
func (DMA) Bytes(addr uintptr, n int) []byte { return arch.Bytes(addr, uintptr(n)) }
