// Package hw holds the few x86-64 instructions and memory helpers the Xen drivers share: CPUID,
// WRMSR, an ordered RDTSC, and typed atomic access to guest memory named by an address.
//
// The drivers keep every address as a uintptr (kernel state must be pointer-free, see
// docs/internals.md) and build a pointer only at the point of use, through Ptr.
//
// Reference: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 2 (CPUID, WRMSR,
// RDTSC, LFENCE, MFENCE, PAUSE).
package hw

import (
	"sync/atomic"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
)

// Cpuid executes CPUID with EAX = leaf and ECX = sub. It is safe in user mode (host tests).
func Cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32) { return arch.Cpuid(leaf, sub) }

// Wrmsr writes v to model-specific register msr. Privileged: it faults outside ring 0.
func Wrmsr(msr uint32, v uint64) { arch.Wrmsr(msr, v) }

// Rdtsc returns the time-stamp counter, ordered after earlier loads (LFENCE; RDTSC).
//
// Defined in hw_amd64.s.
func Rdtsc() uint64

// Mfence orders all earlier loads and stores before all later ones.
//
// Defined in hw_amd64.s.
func Mfence()

// Pause is the spin-loop hint.
func Pause() { arch.Pause() }

// Ptr turns an address into a pointer (see runtime/arch.Ptr). The caller guarantees that addr
// names memory that stays valid (identity-mapped guest memory in the kernel, a live Go object in
// tests).
//
//go:nosplit
func Ptr(addr uintptr) unsafe.Pointer { return arch.Ptr(addr) }

// Addr returns the address of b's first byte.
//
//go:nosplit
func Addr(b []byte) uintptr { return arch.Addr(b) }

// Bytes returns a view of n bytes at addr.
//
//go:nosplit
func Bytes(addr uintptr, n int) []byte { return unsafe.Slice((*byte)(Ptr(addr)), n) }

// Load8 reads the byte at addr.
//
//go:nosplit
func Load8(addr uintptr) uint8 { return *(*uint8)(Ptr(addr)) }

// Store8 writes the byte at addr.
//
//go:nosplit
func Store8(addr uintptr, v uint8) { *(*uint8)(Ptr(addr)) = v }

// Load16 atomically reads the 16-bit value at addr (2-byte aligned).
//
//go:nosplit
func Load16(addr uintptr) uint16 { return *(*uint16)(Ptr(addr)) }

// Store16 writes the 16-bit value at addr.
//
//go:nosplit
func Store16(addr uintptr, v uint16) { *(*uint16)(Ptr(addr)) = v }

// Load32 atomically reads the 32-bit value at addr (4-byte aligned); it is also a compiler barrier.
//
//go:nosplit
func Load32(addr uintptr) uint32 { return atomic.LoadUint32((*uint32)(Ptr(addr))) }

// Store32 atomically writes the 32-bit value at addr (4-byte aligned). On x86 (TSO) earlier stores
// are visible before it: this is the write barrier between ring data and a producer index.
//
//go:nosplit
func Store32(addr uintptr, v uint32) { atomic.StoreUint32((*uint32)(Ptr(addr)), v) }

// Load64 atomically reads the 64-bit value at addr (8-byte aligned).
//
//go:nosplit
func Load64(addr uintptr) uint64 { return atomic.LoadUint64((*uint64)(Ptr(addr))) }

// Store64 atomically writes the 64-bit value at addr (8-byte aligned).
//
//go:nosplit
func Store64(addr uintptr, v uint64) { atomic.StoreUint64((*uint64)(Ptr(addr)), v) }

// Swap64 atomically replaces the 64-bit value at addr with v and returns the old value.
//
//go:nosplit
func Swap64(addr uintptr, v uint64) uint64 { return atomic.SwapUint64((*uint64)(Ptr(addr)), v) }

// And64 atomically clears in the 64-bit value at addr the bits that are clear in mask and returns
// the old value.
//
//go:nosplit
func And64(addr uintptr, mask uint64) uint64 {
	return atomic.AndUint64((*uint64)(Ptr(addr)), mask)
}

// Or64 atomically sets the bits of mask in the 64-bit value at addr and returns the old value.
//
//go:nosplit
func Or64(addr uintptr, mask uint64) uint64 { return atomic.OrUint64((*uint64)(Ptr(addr)), mask) }

// Cas16 atomically replaces the 16-bit value at addr (2-byte aligned) with new if it equals old.
//
// Defined in hw_amd64.s.
func Cas16(addr uintptr, old, new uint16) bool
