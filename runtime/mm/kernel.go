package mm

import "github.com/unikgen/unikgen/runtime/arch"

// The kernel's part of the address space: how the identity map of the low 4 GiB is sealed.
//
// The boot code describes the image before InitPaging: MapKernel for each ELF segment (text
// read-only and executable, rodata read-only, data and BSS writable), Guard for the pages below
// the kernel stacks, MapKernel again for the few pages that must be executable outside the text
// (Xen's hypercall page), and SetZeroTail for the end of the BSS that the image does not load.
// Everything else below 4 GiB (RAM, the page tables, MMIO) is writable and not executable.

// Access rights of kernel pages (MapKernel).
const (
	Guard     = 0                    // not mapped: any access faults
	ReadOnly  = protRead             // read-only, not executable
	ReadWrite = protRead | protWrite // writable, not executable
	ReadExec  = protRead | protExec  // read-only, executable
)

// scratchVA is the page through which the kernel reaches shadowed frames: the last page of the
// canonical lower half, which no program mapping can use (userMax).
const scratchVA = userMax

type kspan struct {
	start, end uintptr
	access     int
}

var (
	kmap  [16]kspan
	nkmap int
	// tail is the image's zero tail: BSS beyond the end of the loaded image (image shrinks
	// the last PT_LOAD), demand-paged with zeroed frames.
	tail       span
	scratchPTE uintptr // address of the scratch page's entry, once InitPaging has run
)

// MapKernel gives the pages of [start, end) below 4 GiB the access rights access (Guard,
// ReadOnly, ReadWrite or ReadExec) in the identity map. A later call wins where ranges overlap.
// Call before InitPaging; it returns false when the table of ranges is full.
func MapKernel(start, end uintptr, access int) bool {
	if nkmap == len(kmap) {
		return false
	}
	kmap[nkmap] = kspan{start &^ (PageSize - 1), alignUp(end), access}
	nkmap++
	return true
}

// SetZeroTail makes [start, end) (page-aligned, below 4 GiB) the image's zero tail: not mapped
// at boot, each page backed by a zeroed frame when first touched. Call before AddRAM.
func SetZeroTail(start, end uintptr) {
	tail = span{alignUp(start), alignUp(end)}
}

// IsGuard reports whether va lies in a page that MapKernel made a guard.
func IsGuard(va uintptr) bool {
	for i := nkmap - 1; i >= 0; i-- {
		if k := kmap[i]; va >= k.start && va < k.end {
			return k.access == Guard
		}
	}
	return false
}

// specialRegion reports whether [start, end) needs 4 KiB pages: it holds page 0, a MapKernel
// range or part of the zero tail.
func specialRegion(start, end uintptr) bool {
	if start == 0 || start < tail.end && end > tail.start {
		return true
	}
	for i := 0; i < nkmap; i++ {
		if k := kmap[i]; start < k.end && end > k.start {
			return true
		}
	}
	return false
}

// kernelPTE returns the identity-map entry of the 4 KiB page at va.
func kernelPTE(va uintptr) uint64 {
	if va < PageSize || va >= tail.start && va < tail.end {
		return 0
	}
	access := ReadWrite
	for i := nkmap - 1; i >= 0; i-- {
		if k := kmap[i]; va >= k.start && va < k.end {
			access = k.access
			break
		}
	}
	v := uint64(va)
	switch access {
	case Guard:
		return 0
	case ReadOnly:
		return v | ptePresent | pteNX
	case ReadExec:
		return v | ptePresent
	}
	return v | ptePresent | pteWrite | pteNX
}

// tailFault maps a zeroed frame at the page of the zero tail that holds addr.
func tailFault(addr uintptr) FaultResult {
	e := walk(addr, true)
	if e == nil {
		return FaultNoMemory
	}
	if *e&ptePresent != 0 { // a stale TLB entry
		arch.Invlpg(addr &^ (PageSize - 1))
		return FaultMapped
	}
	pa, ok := allocPageFrame()
	if !ok {
		return FaultNoMemory
	}
	*e = uint64(pa) | ptePresent | pteWrite | pteNX
	return FaultMapped
}

// mapScratch maps the frame at pa at the scratch page and returns the page's address. The kernel
// runs on one CPU with interrupts off, so one page suffices; unmapScratch ends the use.
func mapScratch(pa uintptr) uintptr {
	*arch.U64(scratchPTE) = uint64(pa) | ptePresent | pteWrite | pteNX
	arch.Invlpg(scratchVA)
	return scratchVA
}

func unmapScratch() {
	*arch.U64(scratchPTE) = 0
	arch.Invlpg(scratchVA)
}
