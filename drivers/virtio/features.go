package virtio

// Both transports reach the 64-bit feature words through a select register and a 32-bit window:
// the driver writes which half it wants (0: bits 0-31, 1: bits 32-63) to the select register,
// then reads or writes the window (VIRTIO 1.2 §4.1.4.3 for PCI's common configuration, §4.2.2
// for the MMIO registers).

// readFeatures reads the feature word of window, selected with sel, through the register
// accessors w32 and r32.
func readFeatures(w32 func(off uintptr, v uint32), r32 func(off uintptr) uint32, sel, window uintptr) uint64 {
	w32(sel, 0)
	lo := r32(window)
	w32(sel, 1)
	return uint64(r32(window))<<32 | uint64(lo)
}

// writeFeatures writes f to the feature word of window, selected with sel, through w32.
func writeFeatures(w32 func(off uintptr, v uint32), sel, window uintptr, f uint64) {
	w32(sel, 0)
	w32(window, uint32(f))
	w32(sel, 1)
	w32(window, uint32(f>>32))
}
