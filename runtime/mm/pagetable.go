package mm

import (
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
)

// Page-table entry bits (Intel SDM Vol. 3A, table 4-14 .. 4-19).
const (
	ptePresent  = 1 << 0
	pteWrite    = 1 << 1
	pteHuge     = 1 << 7
	pteProtNone = 1 << 9 // software bit: frame kept while the mapping is PROT_NONE
	pteNX       = 1 << 63
	pteAddrMask = 0x000F_FFFF_FFFF_F000

	hugePage = 2 << 20
)

var root uintptr // physical (= virtual) address of the PML4

func index(va uintptr, level uint) uintptr { return (va >> (12 + 9*level)) & 511 }

func entry(table, idx uintptr) *uint64 { return arch.U64(table + idx*8) }

// InitPaging replaces the boot code's identity map (2 MiB pages over the low 4 GiB, all writable
// and executable) with the sealed one and turns on CR0.WP, so that read-only pages are read-only
// for ring 0 too. The low 4 GiB stay identity-mapped with 2 MiB pages, writable and not
// executable, except the 2 MiB regions that hold page 0, a MapKernel range or the zero tail:
// those get 4 KiB pages with the access MapKernel gave (page 0 and guard pages not mapped), and
// the zero tail is left to demand paging. It returns false when frames for the tables ran out.
func InitPaging() bool {
	pml4, ok := AllocFrame()
	if !ok {
		return false
	}
	pdpt, ok := AllocFrame()
	if !ok {
		return false
	}
	*entry(pml4, 0) = uint64(pdpt) | ptePresent | pteWrite
	for g := uintptr(0); g < 4; g++ {
		pd, ok := AllocFrame()
		if !ok {
			return false
		}
		*entry(pdpt, g) = uint64(pd) | ptePresent | pteWrite
		for i := uintptr(0); i < 512; i++ {
			base := g<<30 | i<<21
			end := base + hugePage
			switch {
			case tail.start <= base && end <= tail.end:
				// Wholly inside the zero tail: the page table comes with the first fault.
			case !specialRegion(base, end):
				*entry(pd, i) = uint64(base) | ptePresent | pteWrite | pteHuge | pteNX
			default:
				pt, ok := AllocFrame()
				if !ok {
					return false
				}
				for j := uintptr(0); j < 512; j++ {
					*entry(pt, j) = kernelPTE(base + j*PageSize)
				}
				*entry(pd, i) = uint64(pt) | ptePresent | pteWrite
			}
		}
	}
	root = pml4
	e := walk(scratchVA, true)
	if e == nil {
		return false
	}
	scratchPTE = uintptr(unsafe.Pointer(e))
	arch.WriteCR3(root)
	arch.EnableWriteProtect()
	return true
}

// walk returns the level-1 entry mapping va, creating the intermediate tables when create is set.
// It returns nil when a table is missing and create is false, when no frame is left, or when va
// lies in a 2 MiB page of the identity map.
func walk(va uintptr, create bool) *uint64 {
	table := root
	for level := uint(3); level > 0; level-- {
		e := entry(table, index(va, level))
		if *e&ptePresent == 0 {
			if !create {
				return nil
			}
			t, ok := AllocFrame()
			if !ok {
				return nil
			}
			*e = uint64(t) | ptePresent | pteWrite
		} else if *e&pteHuge != 0 {
			return nil
		}
		table = uintptr(*e & pteAddrMask)
	}
	return entry(table, index(va, 0))
}

// lookup returns the entry that maps va (a 4 KiB, 2 MiB or 1 GiB page) and the page's size, or
// size 0 when nothing maps it.
func lookup(va uintptr) (pte uint64, size uintptr) {
	if root == 0 {
		return 0, 0
	}
	table := root
	for level := uint(3); ; level-- {
		e := *entry(table, index(va, level))
		if e&ptePresent == 0 {
			return 0, 0
		}
		if level == 0 || e&pteHuge != 0 {
			return e, uintptr(1) << (12 + 9*level)
		}
		table = uintptr(e & pteAddrMask)
	}
}

// unmapPages frees the frames mapped in [start, end) and clears their entries. Empty stretches
// are skipped a table at a time, so unmapping a large untouched reservation is cheap.
func unmapPages(start, end uintptr) {
	if root == 0 { // paging not set up (host tests)
		return
	}
	freed := 0
	for va := start; va < end; {
		table := root
		skipped := false
		for level := uint(3); level > 0; level-- {
			e := entry(table, index(va, level))
			if *e&ptePresent == 0 {
				span := uintptr(1) << (12 + 9*level)
				va = (va + span) &^ (span - 1)
				skipped = true
				break
			}
			table = uintptr(*e & pteAddrMask)
		}
		if skipped {
			continue
		}
		for i := index(va, 0); i < 512 && va < end; i++ {
			e := entry(table, i)
			if *e&(ptePresent|pteProtNone) != 0 {
				FreeFrame(uintptr(*e & pteAddrMask))
				*e = 0
				if freed < 64 {
					arch.Invlpg(va)
				}
				freed++
			}
			va += PageSize
		}
	}
	if freed >= 64 {
		arch.WriteCR3(root)
	}
}

// protectPages changes the access of the pages present in [start, end).
func protectPages(start, end uintptr, prot int) {
	if root == 0 {
		return
	}
	for va := start; va < end; va += PageSize {
		e := walk(va, false)
		if e == nil || *e&(ptePresent|pteProtNone) == 0 {
			continue
		}
		*e = *e&pteAddrMask | userPTEFlags(prot)
		arch.Invlpg(va)
	}
}

// userPTEFlags returns the entry bits of a present page of a program mapping with protection prot:
// never executable.
func userPTEFlags(prot int) uint64 {
	switch {
	case prot&(protRead|protWrite|protExec) == 0:
		return pteProtNone
	case prot&protWrite != 0:
		return ptePresent | pteWrite | pteNX
	}
	return ptePresent | pteNX
}

// Translate returns the physical address backing va, if a page is mapped there.
func Translate(va uintptr) (uintptr, bool) {
	e, size := lookup(va)
	if size == 0 {
		return 0, false
	}
	return uintptr(e&pteAddrMask)&^(size-1) | va&(size-1), true
}

// Accessible reports whether a read (or, with write, a write) of the byte at va would succeed
// without a page fault.
func Accessible(va uintptr, write bool) bool {
	e, size := lookup(va)
	return size != 0 && (!write || e&pteWrite != 0)
}
