package mm

// Program mappings ("virtual memory areas"), kept sorted by address in a fixed array.

const (
	userMin    = 1 << 32          // first address a program mapping may use
	userMax    = 0x7FFF_FFFF_F000 // end of the canonical lower half, less one page
	mmapTop    = 0x7F00_0000_0000 // mappings without a usable hint are placed below this
	maxVMAs    = 1024
	protRead   = 0x1
	protWrite  = 0x2
	protExec   = 0x4
	protAccess = protRead | protWrite | protExec
)

type vma struct {
	start, end uintptr
	prot       int
}

var (
	vmas       [maxVMAs]vma
	nvma       int
	mmapCursor uintptr = mmapTop
)

// find returns the index of the area holding addr, or the index where such an area would be
// inserted and false.
func find(addr uintptr) (int, bool) {
	lo, hi := 0, nvma
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case addr < vmas[m].start:
			hi = m
		case addr >= vmas[m].end:
			lo = m + 1
		default:
			return m, true
		}
	}
	return lo, false
}

// overlaps reports whether any area intersects [start, end).
func overlaps(start, end uintptr) bool {
	i, in := find(start)
	return in || (i < nvma && vmas[i].start < end)
}

// removeAreas takes [start, end) out of the area list, splitting areas at the edges, and frees
// the pages mapped there. It fails only when a split needs a slot and none is left.
func removeAreas(start, end uintptr) bool {
	i, in := find(start)
	if in && vmas[i].start < start && vmas[i].end > end && nvma == maxVMAs {
		return false
	}
	releasePages(start, end)
	for i < nvma && vmas[i].start < end {
		v := vmas[i]
		switch {
		case v.start < start && v.end > end: // hole in the middle: split in two
			if nvma == maxVMAs {
				return false
			}
			copy(vmas[i+2:nvma+1], vmas[i+1:nvma])
			nvma++
			vmas[i].end = start
			vmas[i+1] = vma{end, v.end, v.prot}
			i += 2
		case v.start < start:
			vmas[i].end = start
			i++
		case v.end > end:
			vmas[i].start = end
			i++
		default:
			copy(vmas[i:nvma-1], vmas[i+1:nvma])
			nvma--
		}
	}
	return true
}

// insertArea adds [start, end) with prot; the range must be free. Neighbours with the same
// protection are merged.
func insertArea(start, end uintptr, prot int) bool {
	i, _ := find(start)
	if i > 0 && vmas[i-1].end == start && vmas[i-1].prot == prot {
		vmas[i-1].end = end
		if i < nvma && vmas[i].start == end && vmas[i].prot == prot {
			vmas[i-1].end = vmas[i].end
			copy(vmas[i:nvma-1], vmas[i+1:nvma])
			nvma--
		}
		return true
	}
	if i < nvma && vmas[i].start == end && vmas[i].prot == prot {
		vmas[i].start = start
		return true
	}
	if nvma == maxVMAs {
		return false
	}
	copy(vmas[i+1:nvma+1], vmas[i:nvma])
	vmas[i] = vma{start, end, prot}
	nvma++
	return true
}

// findFree returns the start of a free range of length bytes below the mmap cursor.
func findFree(length uintptr) (uintptr, bool) {
	cand := mmapCursor - length
	for cand >= userMin && cand < mmapCursor {
		i, in := find(cand)
		if !in && (i >= nvma || vmas[i].start >= cand+length) {
			mmapCursor = cand
			return cand, true
		}
		// an area holds cand or starts inside [cand, cand+length): go below it
		cand = vmas[i].start - length
	}
	return 0, false
}
