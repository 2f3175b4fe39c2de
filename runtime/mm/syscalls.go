package mm

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
)

// Linux constants (include/uapi/asm-generic/mman-common.h).
const (
	mapShared         = 0x01
	mapPrivate        = 0x02
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapFixedNoreplace = 0x100000

	madvDontneed = 4
	madvFree     = 8
	madvRemove   = 9
)

// Mmap implements mmap(2) for anonymous mappings. It returns the address or a negative errno.
// Executable memory is refused with EACCES (the address space is sealed: the only code is the
// image's text).
func Mmap(addr, length uintptr, prot, flags int) int64 {
	if length == 0 || addr&(PageSize-1) != 0 && flags&(mapFixed|mapFixedNoreplace) != 0 {
		return -errno.EINVAL
	}
	if prot&protExec != 0 {
		return -errno.EACCES
	}
	if flags&mapAnonymous == 0 {
		return -errno.ENODEV // files are mapped with MapFile
	}
	if flags&(mapShared|mapPrivate) == 0 {
		return -errno.EINVAL
	}
	return mmapArea(addr, alignUp(length), prot&protAccess, flags)
}

// mmapArea places an area of length bytes (whole pages) with prot (and protFile) as mmap(2)'s
// addr and flags say, and returns its address or a negative errno.
func mmapArea(addr, length uintptr, prot, flags int) int64 {
	if length > userMax-userMin {
		return -errno.ENOMEM
	}
	if flags&(mapFixed|mapFixedNoreplace) != 0 {
		if addr < userMin || addr+length > userMax || addr+length < addr {
			return -errno.ENOMEM
		}
		if flags&mapFixedNoreplace != 0 && overlaps(addr, addr+length) {
			return -errno.EEXIST
		}
		if !removeAreas(addr, addr+length) || !insertArea(addr, addr+length, prot) {
			return -errno.ENOMEM
		}
		return int64(addr)
	}
	addr &^= PageSize - 1
	if addr < userMin || addr+length > userMax || addr+length < addr || overlaps(addr, addr+length) {
		var ok bool
		if addr, ok = findFree(length); !ok {
			return -errno.ENOMEM
		}
	}
	if !insertArea(addr, addr+length, prot) {
		return -errno.ENOMEM
	}
	return int64(addr)
}

// Munmap implements munmap(2).
func Munmap(addr, length uintptr) int64 {
	if addr&(PageSize-1) != 0 || length == 0 {
		return -errno.EINVAL
	}
	end := addr + alignUp(length)
	if addr < userMin || end > userMax || end < addr {
		return -errno.EINVAL
	}
	if !removeAreas(addr, end) {
		return -errno.ENOMEM
	}
	return 0
}

// Mprotect implements mprotect(2). Making memory executable is refused with EACCES.
func Mprotect(addr, length uintptr, prot int) int64 {
	if addr&(PageSize-1) != 0 {
		return -errno.EINVAL
	}
	if prot&protExec != 0 {
		return -errno.EACCES
	}
	end := addr + alignUp(length)
	if addr < userMin || end > userMax || end < addr {
		return -errno.ENOMEM
	}
	prot &= protAccess
	// Every page of the range must be mapped.
	for a := addr; a < end; {
		i, in := find(a)
		if !in {
			return -errno.ENOMEM
		}
		if vmas[i].prot&protFile != 0 && prot&protWrite != 0 {
			return -errno.EACCES // a file mapping is read-only (MapFile)
		}
		a = vmas[i].end
	}
	protectPages(addr, end, prot)
	// Re-describe the range: cut it out and put it back with the new protection, piece by piece.
	if !splitAt(addr) || !splitAt(end) {
		return -errno.ENOMEM
	}
	for i, _ := find(addr); i < nvma && vmas[i].start < end; i++ {
		vmas[i].prot = prot | vmas[i].prot&protFile
	}
	return 0
}

// splitAt makes addr an area boundary if an area spans it.
func splitAt(addr uintptr) bool {
	i, in := find(addr)
	if !in || vmas[i].start == addr {
		return true
	}
	if nvma == maxVMAs {
		return false
	}
	copy(vmas[i+2:nvma+1], vmas[i+1:nvma])
	nvma++
	vmas[i+1] = vma{addr, vmas[i].end, vmas[i].prot}
	vmas[i].end = addr
	return true
}

// Madvise implements madvise(2): MADV_DONTNEED, MADV_FREE and MADV_REMOVE give the pages back
// (they read as zero when next touched); other advice is accepted and ignored.
func Madvise(addr, length uintptr, advice int) int64 {
	if addr&(PageSize-1) != 0 {
		return -errno.EINVAL
	}
	end := addr + alignUp(length)
	if end < addr {
		return -errno.EINVAL
	}
	switch advice {
	case madvDontneed, madvFree, madvRemove:
		if addr >= userMin && end <= userMax {
			dropPages(addr, end)
		}
	}
	return 0
}

// dropPages frees the pages of the anonymous areas in [start, end) (madvise); the pages of file
// mappings keep the file's contents, which is what a new fault would read.
func dropPages(start, end uintptr) {
	for a := start; a < end; {
		i, in := find(a)
		if !in {
			if i >= nvma || vmas[i].start >= end {
				unmapPages(a, end)
				return
			}
			unmapPages(a, vmas[i].start)
			a = vmas[i].start
			continue
		}
		stop := min(end, vmas[i].end)
		if vmas[i].prot&protFile == 0 {
			unmapPages(a, stop)
		}
		a = stop
	}
}

// FaultResult says how a page fault was resolved.
type FaultResult int

const (
	FaultMapped    FaultResult = iota // a page was mapped; retry the access
	FaultNoMapping                    // no mapping at the address: SIGSEGV, SEGV_MAPERR
	FaultAccess                       // the mapping forbids the access: SIGSEGV, SEGV_ACCERR
	FaultNoMemory                     // no free frame left
)

// Bits of the page-fault error code (Intel SDM Vol. 3A §4.7), the code argument of HandleFault.
const (
	FaultProtection = 1 << 0 // the page was present: the access broke its rights
	FaultWrite      = 1 << 1
	FaultFetch      = 1 << 4 // an instruction fetch
)

// HandleFault resolves a page fault at addr with the CPU's error code: it maps a zeroed page of a
// program mapping or of the image's zero tail, or says why it cannot. Program mappings are never
// executable: a fetch from them is FaultAccess.
func HandleFault(addr uintptr, code uint64) FaultResult {
	if addr < userMin {
		switch {
		case code&FaultProtection != 0:
			return FaultAccess
		case addr >= tail.start && addr < tail.end && code&FaultFetch == 0:
			return tailFault(addr)
		}
		return FaultNoMapping
	}
	if addr >= userMax {
		return FaultNoMapping
	}
	i, in := find(addr)
	if !in {
		return FaultNoMapping
	}
	prot := vmas[i].prot
	write := code&FaultWrite != 0
	if prot == 0 || write && prot&protWrite == 0 || code&FaultFetch != 0 {
		return FaultAccess
	}
	e := walk(addr, true)
	if e == nil {
		return FaultNoMemory
	}
	flags := userPTEFlags(prot)
	switch {
	case *e&ptePresent != 0:
		// Present already: a stale TLB entry after a protection change, or a racing fault.
		arch.Invlpg(addr &^ (PageSize - 1))
		if write && *e&pteWrite == 0 {
			return FaultAccess
		}
		return FaultMapped
	case *e&pteProtNone != 0:
		*e = *e&pteAddrMask | flags
	case prot&protFile != 0:
		return FaultNoMapping // a file mapping's pages are all present from MapFile on
	default:
		pa, ok := allocPageFrame()
		if !ok {
			return FaultNoMemory
		}
		*e = uint64(pa) | flags
	}
	return FaultMapped
}

// Prefault maps the pages of [addr, addr+length) so that kernel code can fill them.
func Prefault(addr, length uintptr) bool {
	for a := addr &^ (PageSize - 1); a < addr+length; a += PageSize {
		if HandleFault(a, FaultWrite) != FaultMapped {
			return false
		}
	}
	return true
}
