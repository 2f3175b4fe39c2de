package mm

// File mappings (mmap of a regular file, read-only). The file service (services/fs) fills the
// pages and keeps them equal to the file, so the kernel gives each mapping two views of the same
// frames: an *alias*, an ordinary writable anonymous area that the service owns and writes (it
// reads the file into it, and copies later writes of the file into it), and the program's
// mapping, read-only, whose pages borrow the alias's frames. Unmapping the program's mapping
// clears its entries without freeing the frames; the service frees them when it unmaps the
// alias (after the kernel told it, runtime/sys). So the service never writes a freed frame.

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
)

// protFile marks an area whose pages borrow an alias's frames (a file mapping): unmapping it
// clears its entries and frees nothing; it cannot become writable.
const protFile = 0x100

// MapFile reserves a file mapping of length bytes (rounded up to pages) with protection prot
// (without PROT_WRITE) at addr as mmap(2)'s flags place it, and its alias. Every page is backed
// now (zeroed until the file service fills the alias). It returns both addresses, or a negative
// errno.
func MapFile(addr, length uintptr, prot, flags int) (user, alias uintptr, res int64) {
	if prot&protWrite != 0 {
		return 0, 0, -errno.EINVAL
	}
	length = alignUp(length)
	a := Mmap(0, length, protRead|protWrite, mapPrivate|mapAnonymous)
	if a < 0 {
		return 0, 0, a
	}
	alias = uintptr(a)
	if !Prefault(alias, length) {
		Munmap(alias, length)
		return 0, 0, -errno.ENOMEM
	}
	u := mmapArea(addr, length, prot&protAccess|protFile, flags)
	if u < 0 {
		Munmap(alias, length)
		return 0, 0, u
	}
	user = uintptr(u)
	for off := uintptr(0); off < length; off += PageSize {
		pa, ok := Translate(alias + off)
		e := walk(user+off, true)
		if !ok || e == nil {
			Munmap(user, length)
			Munmap(alias, length)
			return 0, 0, -errno.ENOMEM
		}
		*e = uint64(pa) | userPTEFlags(prot&protAccess)
	}
	return user, alias, 0
}

// HasFile reports whether [addr, addr+length) overlaps a file mapping.
func HasFile(addr, length uintptr) bool {
	end := addr + alignUp(length)
	for i, _ := find(addr); i < nvma && vmas[i].start < end; i++ {
		if vmas[i].end > addr && vmas[i].prot&protFile != 0 {
			return true
		}
	}
	return false
}

// releasePages gives back the pages of [start, end): those of anonymous areas are freed, those
// of file mappings only cleared (their frames belong to the alias).
func releasePages(start, end uintptr) {
	for i, _ := find(start); i < nvma && vmas[i].start < end; i++ {
		if vmas[i].prot&protFile != 0 && vmas[i].end > start {
			clearPages(max(start, vmas[i].start), min(end, vmas[i].end))
		}
	}
	unmapPages(start, end)
}

// clearPages clears the entries of the pages in [start, end) without freeing their frames.
func clearPages(start, end uintptr) {
	if root == 0 {
		return
	}
	for va := start; va < end; va += PageSize {
		if e := walk(va, false); e != nil && *e != 0 {
			*e = 0
			arch.Invlpg(va)
		}
	}
}
