package disk

// Bitmaps: bit i of byte i/8, least significant first, set when the block or inode is in use.

// TestBit reports whether bit i of b is set.
func TestBit(b []byte, i uint32) bool { return b[i/8]&(1<<(i%8)) != 0 }

// SetBit sets bit i of b.
func SetBit(b []byte, i uint32) { b[i/8] |= 1 << (i % 8) }

// ClearBit clears bit i of b.
func ClearBit(b []byte, i uint32) { b[i/8] &^= 1 << (i % 8) }

// FindClear returns the first clear bit of b in [from, n), or -1.
func FindClear(b []byte, from, n uint32) int64 {
	for i := from; i < n; {
		if i%8 == 0 && i+8 <= n && b[i/8] == 0xff {
			i += 8
			continue
		}
		if !TestBit(b, i) {
			return int64(i)
		}
		i++
	}
	return -1
}

// CountClear counts the clear bits of b in [0, n).
func CountClear(b []byte, n uint32) uint32 {
	var c uint32
	for i := uint32(0); i < n; i++ {
		if !TestBit(b, i) {
			c++
		}
	}
	return c
}
