package arch

import "unsafe"

// Ptr turns an address into a pointer. Kernel state is kept as plain integers (see
// docs/internals.md); this is the one place where an address becomes a pointer again.
func Ptr(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// U64 returns the 64-bit word at addr.
func U64(addr uintptr) *uint64 { return (*uint64)(Ptr(addr)) }

// U32 returns the 32-bit word at addr.
func U32(addr uintptr) *uint32 { return (*uint32)(Ptr(addr)) }

// Bytes returns the n bytes at addr as a slice.
func Bytes(addr, n uintptr) []byte { return unsafe.Slice((*byte)(Ptr(addr)), n) }

// Addr returns the address of the first byte of b.
func Addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// Copy copies n bytes from src to dst. (Kept out of line: with constant sizes, inlining a copy
// between two unsafe-built slices crashes the go1.26 compiler's memmove rewrite.)
//
//go:noinline
func Copy(dst, src, n uintptr) {
	copy(Bytes(dst, n), Bytes(src, n))
}
