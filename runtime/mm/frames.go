// Package mm manages memory for the library OS: the physical 4 KiB frames of the machine, the
// x86-64 4-level page tables, and the Linux memory system calls (mmap, munmap, mprotect, madvise)
// that the Go runtime makes, with demand paging: a mapping costs nothing until a page is touched,
// and then that page alone is backed by a zeroed frame.
//
// Layout of the single address space:
//
//	0                 page 0, never mapped (nil dereferences fault)
//	4 KiB .. 4 GiB    identity map of physical memory and MMIO (the kernel image, page tables,
//	                  free frames, the LAPIC, Xen's special pages); kernel only
//	4 GiB .. 2^47     program mappings made by mmap, demand-paged
//
// Reference: Intel SDM Vol. 3A §4.5 (4-level paging), §4.7 (page-fault error code); Linux
// mmap(2), munmap(2), mprotect(2), madvise(2).
package mm

import "github.com/unikgen/unikgen/runtime/arch"

// PageSize is the size of a frame and of a small page.
const PageSize = 4096

type span struct{ start, end uintptr }

var (
	ram      [32]span // usable RAM, in boot order
	nram     int
	reserved [16]span // never handed out
	nres     int

	bumpIdx  int     // index into ram of the region being carved
	bumpNext uintptr // next never-used frame in ram[bumpIdx]
	freeList uintptr // physical address of the first freed frame; each holds the next one

	framesTotal uintptr
	framesUsed  uintptr
)

// Reserve keeps [start, end) out of the frame allocator. Call before AddRAM.
func Reserve(start, end uintptr) {
	if nres < len(reserved) {
		reserved[nres] = span{start &^ (PageSize - 1), alignUp(end)}
		nres++
	}
}

// AddRAM makes the usable RAM [start, end) available, minus the reserved ranges and the first
// MiB (firmware data, PVH start info under SeaBIOS).
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
	if start >= end || nram == len(ram) {
		return
	}
	ram[nram] = span{start, end}
	nram++
	framesTotal += (end - start) / PageSize
	if nram == 1 {
		bumpNext = start
	}
}

// AllocFrame returns the physical address of a zeroed 4 KiB frame.
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
	framesUsed++
	return pa, true
}

// FreeFrame gives the frame at physical address pa back.
func FreeFrame(pa uintptr) {
	*arch.U64(pa) = uint64(freeList)
	freeList = pa
	framesUsed--
}

// Stats reports the number of frames in use and in total.
func Stats() (used, total uintptr) { return framesUsed, framesTotal }

func alignUp(v uintptr) uintptr { return (v + PageSize - 1) &^ (PageSize - 1) }
