package mm

import "github.com/unikgen/unikgen/runtime/arch"

// Page-table entry bits (Intel SDM Vol. 3A, table 4-14 .. 4-19).
const (
	ptePresent  = 1 << 0
	pteWrite    = 1 << 1
	pteHuge     = 1 << 7
	pteProtNone = 1 << 9 // software bit: frame kept while the mapping is PROT_NONE
	pteNX       = 1 << 63
	pteAddrMask = 0x000F_FFFF_FFFF_F000
)

var root uintptr // physical (= virtual) address of the PML4

func index(va uintptr, level uint) uintptr { return (va >> (12 + 9*level)) & 511 }

func entry(table, idx uintptr) *uint64 { return arch.U64(table + idx*8) }

// InitPaging adopts the identity map built by the boot code (2 MiB pages over the low 4 GiB) and
// unmaps page 0 by splitting the first 2 MiB into 4 KiB pages.
func InitPaging() bool {
	root = arch.ReadCR3() &^ (PageSize - 1)
	pt, ok := AllocFrame()
	if !ok {
		return false
	}
	for i := uintptr(1); i < 512; i++ {
		*entry(pt, i) = uint64(i*PageSize) | ptePresent | pteWrite
	}
	pdpt := uintptr(*entry(root, 0) & pteAddrMask)
	pd := uintptr(*entry(pdpt, 0) & pteAddrMask)
	*entry(pd, 0) = uint64(pt) | ptePresent | pteWrite
	arch.WriteCR3(root)
	return true
}

// walk returns the level-1 entry mapping va, creating the intermediate tables when create is set.
// It returns nil when a table is missing and create is false, or when no frame is left.
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
		}
		table = uintptr(*e & pteAddrMask)
	}
	return entry(table, index(va, 0))
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
		v := *e &^ (ptePresent | pteWrite | pteProtNone)
		switch {
		case prot&(protRead|protWrite|protExec) == 0:
			v |= pteProtNone
		case prot&protWrite != 0:
			v |= ptePresent | pteWrite
		default:
			v |= ptePresent
		}
		*e = v
		arch.Invlpg(va)
	}
}

// Translate returns the physical address backing va, if a page is mapped there.
func Translate(va uintptr) (uintptr, bool) {
	if va < userMin {
		return va, va >= PageSize
	}
	e := walk(va, false)
	if e == nil || *e&ptePresent == 0 {
		return 0, false
	}
	return uintptr(*e&pteAddrMask) | va&(PageSize-1), true
}
