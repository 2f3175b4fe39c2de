// Package payload makes the file contents that the volume test programs
// (internal/boottest/testdata/volume, exitsync) write on one boot and check on the next: bytes
// that depend on a seed, so that a block written in the wrong place or lost reads back wrong.
package payload

// Bytes returns n bytes of a xorshift32 sequence seeded with seed.
func Bytes(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
