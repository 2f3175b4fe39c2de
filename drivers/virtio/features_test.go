package virtio

import "testing"

// featureRegs is a select register (at 0) and a window (at 4) in front of a 64-bit word, as a
// device has them.
type featureRegs struct {
	sel  uint32
	word uint64
}

func (r *featureRegs) w32(off uintptr, v uint32) {
	switch {
	case off == 0:
		r.sel = v
	case r.sel == 0:
		r.word = r.word&^0xffffffff | uint64(v)
	default:
		r.word = r.word&0xffffffff | uint64(v)<<32
	}
}

func (r *featureRegs) r32(off uintptr) uint32 {
	if off == 0 {
		return r.sel
	}
	return uint32(r.word >> (32 * r.sel))
}

// TestFeatures: both halves of a feature word go through the window, in the right places.
func TestFeatures(t *testing.T) {
	r := &featureRegs{word: 1<<32 | 1<<5 | 1<<34}
	if got := readFeatures(r.w32, r.r32, 0, 4); got != 1<<32|1<<5|1<<34 {
		t.Errorf("readFeatures = %#x", got)
	}
	writeFeatures(r.w32, 0, 4, 0x0000000300000021)
	if r.word != 0x0000000300000021 {
		t.Errorf("after writeFeatures the word is %#x", r.word)
	}
}
