// Package mm manages memory for the library OS: the physical 4 KiB frames of the machine, the
// x86-64 4-level page tables, and the Linux memory system calls (mmap, munmap, mprotect, madvise)
// that the Go runtime makes, with demand paging: a mapping costs nothing until a page is touched,
// and then that page alone is backed by a zeroed frame.
//
// Layout of the single address space:
//
//	0                 page 0, never mapped (nil dereferences fault)
//	4 KiB .. 4 GiB    identity map of physical memory and MMIO (the kernel image, page tables,
//	                  free frames, the LAPIC, Xen's special pages); kernel only. The image is
//	                  sealed (kernel.go): its segments keep their ELF permissions, guard pages
//	                  are unmapped, nothing but the text and the pages named by MapKernel is
//	                  executable, and the image's zero tail is demand-paged.
//	4 GiB .. 2^47     program mappings made by mmap, demand-paged, never executable
//	2^47 - 4 KiB      the scratch page, through which the kernel reaches shadowed frames
//
// Frames: RAM below 4 GiB is handed out by AllocFrame and reached at its physical address (the
// identity map). RAM that lies under the image's zero tail cannot be reached that way (the tail's
// virtual addresses are the program's), so those "shadowed" frames back only demand-paged pages
// (program mappings and the tail itself), and the kernel touches them through the scratch page.
//
// Reference: Intel SDM Vol. 3A §4.5 (4-level paging), §4.6 (access rights, CR0.WP, EFER.NXE),
// §4.7 (page-fault error code); Linux mmap(2), munmap(2), mprotect(2), madvise(2).
package mm

import "github.com/unikgen/unikgen/runtime/arch"

// PageSize is the size of a frame and of a small page.
const PageSize = 4096

type span struct{ start, end uintptr }

var (
	ram      [32]span // usable RAM reached through the identity map, in boot order
	nram     int
	reserved [16]span // never handed out
	nres     int

	bumpIdx  int     // index into ram of the region being carved
	bumpNext uintptr // next never-used frame in ram[bumpIdx]
	freeList uintptr // physical address of the first freed frame; each holds the next one

	shadow     [8]span // usable RAM under the zero tail
	nshadow    int
	shadowIdx  int
	shadowNext uintptr
	shadowFree uintptr // like freeList, the links read through the scratch page

	directTotal, directUsed uintptr // frame counts
	shadowTotal, shadowUsed uintptr
)

// Reserve keeps [start, end) out of the frame allocator. Call before AddRAM.
func Reserve(start, end uintptr) {
	if nres < len(reserved) {
		reserved[nres] = span{start &^ (PageSize - 1), alignUp(end)}
		nres++
	}
}

// AddRAM makes the usable RAM [start, end) available, minus the reserved ranges and the first
// MiB (firmware data, PVH start info under SeaBIOS). RAM under the zero tail (SetZeroTail, which
// must come first) only backs demand-paged pages.
func AddRAM(start, end uintptr) {
	start = alignUp(start)
	end &^= PageSize - 1
	if start < 1<<20 {
		start = 1 << 20
	}
	if end > 1<<32 { // the identity map covers only the low 4 GiB
		end = 1 << 32
	}
	addRAM(start, end, 0)
}

func addRAM(start, end uintptr, from int) {
	for i := from; i < nres; i++ {
		r := reserved[i]
		if r.end <= start || r.start >= end {
			continue
		}
		if r.start > start {
			addRAM(start, r.start, i+1)
		}
		if r.end < end {
			addRAM(r.end, end, i+1)
		}
		return
	}
	if start >= end {
		return
	}
	// Split off the part under the zero tail.
	if t := tail; t.start < t.end && start < t.end && end > t.start {
		if start < t.start {
			addDirect(start, t.start)
		}
		if end > t.end {
			addDirect(t.end, end)
		}
		s, e := max(start, t.start), min(end, t.end)
		if nshadow < len(shadow) {
			shadow[nshadow] = span{s, e}
			nshadow++
			shadowTotal += (e - s) / PageSize
			if nshadow == 1 {
				shadowNext = s
			}
		}
		return
	}
	addDirect(start, end)
}

func addDirect(start, end uintptr) {
	if start >= end || nram == len(ram) {
		return
	}
	ram[nram] = span{start, end}
	nram++
	directTotal += (end - start) / PageSize
	if nram == 1 {
		bumpNext = start
	}
}

// AllocFrame returns the physical address of a zeroed 4 KiB frame that the kernel can reach at
// that address.
func AllocFrame() (uintptr, bool) {
	pa := freeList
	if pa != 0 {
		freeList = uintptr(*arch.U64(pa))
	} else {
		for bumpIdx < nram && bumpNext >= ram[bumpIdx].end {
			bumpIdx++
			if bumpIdx < nram {
				bumpNext = ram[bumpIdx].start
			}
		}
		if bumpIdx >= nram {
			return 0, false
		}
		pa = bumpNext
		bumpNext += PageSize
	}
	*(*[PageSize]byte)(arch.Ptr(pa)) = [PageSize]byte{}
	directUsed++
	return pa, true
}

// allocPageFrame returns a zeroed frame to back a demand-paged page: a shadowed frame while there
// are any (they can serve nothing else), then one of AllocFrame's.
func allocPageFrame() (uintptr, bool) {
	if scratchPTE != 0 {
		pa := shadowFree
		if pa != 0 {
			shadowFree = uintptr(*arch.U64(mapScratch(pa)))
		} else {
			for shadowIdx < nshadow && shadowNext >= shadow[shadowIdx].end {
				shadowIdx++
				if shadowIdx < nshadow {
					shadowNext = shadow[shadowIdx].start
				}
			}
			if shadowIdx < nshadow {
				pa = shadowNext
				shadowNext += PageSize
			}
		}
		if pa != 0 {
			*(*[PageSize]byte)(arch.Ptr(mapScratch(pa))) = [PageSize]byte{}
			unmapScratch()
			shadowUsed++
			return pa, true
		}
	}
	return AllocFrame()
}

// FreeFrame gives the frame at physical address pa back.
func FreeFrame(pa uintptr) {
	if pa >= tail.start && pa < tail.end {
		*arch.U64(mapScratch(pa)) = uint64(shadowFree)
		unmapScratch()
		shadowFree = pa
		shadowUsed--
		return
	}
	*arch.U64(pa) = uint64(freeList)
	freeList = pa
	directUsed--
}

// Stats reports the number of frames in use and in total.
func Stats() (used, total uintptr) {
	return directUsed + shadowUsed, directTotal + shadowTotal
}

// FreeFrames reports how many frames are left: those AllocFrame can return, and the shadowed
// ones, which can only back demand-paged pages.
func FreeFrames() (direct, shadowed uintptr) {
	return directTotal - directUsed, shadowTotal - shadowUsed
}

func alignUp(v uintptr) uintptr { return (v + PageSize - 1) &^ (PageSize - 1) }
