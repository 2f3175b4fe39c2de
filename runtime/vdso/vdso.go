// Package vdso builds a virtual dynamic shared object for the program: a minimal ELF image,
// announced in the auxiliary vector as AT_SYSINFO_EHDR, that exports __vdso_clock_gettime. The
// Go runtime looks that symbol up at start (runtime/vdso_linux.go) and then reads the clock with
// a function call instead of a system call: time.Now and the scheduler's clock reads, thousands
// per second, no longer enter the kernel.
//
// The image has one PT_LOAD and one PT_DYNAMIC segment; the dynamic section points at a symbol
// table, a string table and a SysV hash table with one bucket. The symbol's value is the offset
// from the image to the function, which lives in the kernel's text (runtime/ktime).
//
// Reference: System V ABI (ELF-64 object file format: ehdr, phdr, dynamic section, symbol table,
// hash table); Linux arch/x86/entry/vdso (the symbol names and version LINUX_2.6, which the Go
// runtime accepts when the image has no version sections).
package vdso

import (
	"encoding/binary"

	"github.com/unikgen/unikgen/runtime/arch"
)

// Layout of the image.
const (
	offPhdr    = 64             // 2 program headers, 56 bytes each
	offDynamic = offPhdr + 2*56 // 6 entries of 16 bytes: STRTAB, SYMTAB, HASH, VERSYM, VERDEF, NULL
	offSymtab  = offDynamic + 6*16
	offStrtab  = offSymtab + 2*24 // null symbol + one function
	offHash    = offStrtab + 40
	offVersym  = offHash + 5*4 // nbucket, nchain, bucket[0], chain[0], chain[1]
	offVerdef  = offVersym + 2*2
	offVerdaux = offVerdef + 20
	size       = offVerdaux + 8

	ptLoad    = 1
	ptDynamic = 2
	dtNull    = 0
	dtHash    = 4
	dtStrtab  = 5
	dtSymtab  = 6
	dtVersym  = 0x6ffffff0
	dtVerdef  = 0x6ffffffc

	symName     = "__vdso_clock_gettime"
	versionName = "LINUX_2.6"
	versionHash = 0x3ae75f6 // ELF hash of versionName
	versionNdx  = 2
)

var image [size + 8]byte

// Build writes the image for a clock_gettime at address fn and returns the image's address.
func Build(fn uintptr) uintptr {
	base := (arch.Addr(image[:]) + 7) &^ 7
	b := arch.Bytes(base, size)
	clear(b)
	le := binary.LittleEndian

	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, little-endian, version 1
	le.PutUint16(b[16:], 3)    // ET_DYN
	le.PutUint16(b[18:], 62)   // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], offPhdr) // e_phoff
	le.PutUint16(b[52:], 64)      // e_ehsize
	le.PutUint16(b[54:], 56)      // e_phentsize
	le.PutUint16(b[56:], 2)       // e_phnum

	phdr := func(off int, typ uint32, start, length uint64) {
		le.PutUint32(b[off:], typ)
		le.PutUint32(b[off+4:], 4|1) // PF_R|PF_X
		le.PutUint64(b[off+8:], start)
		le.PutUint64(b[off+16:], start) // p_vaddr = p_offset: load offset is the image base
		le.PutUint64(b[off+24:], start)
		le.PutUint64(b[off+32:], length)
		le.PutUint64(b[off+40:], length)
		le.PutUint64(b[off+48:], 8)
	}
	phdr(offPhdr, ptLoad, 0, size)
	phdr(offPhdr+56, ptDynamic, offDynamic, 6*16)

	for i, d := range [...][2]uint64{{dtStrtab, offStrtab}, {dtSymtab, offSymtab}, {dtHash, offHash},
		{dtVersym, offVersym}, {dtVerdef, offVerdef}, {dtNull, 0}} {
		le.PutUint64(b[offDynamic+16*i:], d[0])
		le.PutUint64(b[offDynamic+16*i+8:], d[1])
	}

	sym := b[offSymtab+24:]
	le.PutUint32(sym[0:], 1)               // st_name: after the leading NUL
	sym[4] = 1<<4 | 2                      // STB_GLOBAL, STT_FUNC
	le.PutUint16(sym[6:], 1)               // st_shndx: defined
	le.PutUint64(sym[8:], uint64(fn-base)) // st_value: relative to the load offset
	copy(b[offStrtab+1:], symName)
	copy(b[offStrtab+2+len(symName):], versionName)

	h := b[offHash:]
	le.PutUint32(h[0:], 1)  // nbucket
	le.PutUint32(h[4:], 2)  // nchain
	le.PutUint32(h[8:], 1)  // bucket[0] -> symbol 1
	le.PutUint32(h[12:], 0) // chain[0]
	le.PutUint32(h[16:], 0) // chain[1]: end of the chain

	// Symbol versions: the function is LINUX_2.6, as the Go runtime asks.
	le.PutUint16(b[offVersym+2:], versionNdx)
	vd := b[offVerdef:]
	le.PutUint16(vd[0:], 1)          // vd_version
	le.PutUint16(vd[4:], versionNdx) // vd_ndx
	le.PutUint16(vd[6:], 1)          // vd_cnt
	le.PutUint32(vd[8:], versionHash)
	le.PutUint32(vd[12:], offVerdaux-offVerdef) // vd_aux
	le.PutUint32(b[offVerdaux:], uint32(2+len(symName)))
	return base
}
