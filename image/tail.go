// This file implements the zero tail: the end of the BSS that the image does not ask the loader
// to back.

package image

import (
	"debug/elf"
	"encoding/binary"
	"strings"
)

// pageSize is the x86-64 small page.
const pageSize = 4096

// kernelPackages are the prefixes of the library OS's symbols. Their variables must stay in the
// loaded part of the image: the kernel uses them before it sets up demand paging, and drivers use
// their addresses as physical addresses (docs/internals.md, "Kernel-context code rules").
var kernelPackages = []string{
	"github.com/unikgen/unikgen/runtime/",
	"github.com/unikgen/unikgen/drivers/",
}

// ZeroTail is the part of an image's last writable PT_LOAD that the loader does not back:
// [Start, End), BSS that the kernel maps on demand with zeroed frames (runtime/mm.SetZeroTail).
// End is the linker's end of the BSS (runtime.end).
type ZeroTail struct{ Start, End uint64 }

// Size returns the tail's size in bytes.
func (z ZeroTail) Size() uint64 { return z.End - z.Start }

// ShrinkZeroTail rewrites the ELF image b in place so that its writable PT_LOAD (the data and BSS
// segment, the last one) ends, in memory, at the first page boundary after the last variable of
// the library OS (and after the file contents): the BSS beyond it, the program's and the Go
// runtime's largest zero-initialised variables (the linker sorts BSS symbols by size), becomes the
// zero tail, which the kernel maps on demand. A loader then neither places nor zeroes it: Xen's
// domain builder backs a segment's whole p_memsz with guest memory, so a 32 MiB array that a
// program never touches (crypto/internal/fips140/drbg.memory, linked by every program that uses
// crypto/rand) would otherwise cost 32 MiB of the domain's memory.
//
// The file's bytes other than that p_memsz do not change. An image without a symbol table, or
// with nothing to cut, is left as it is (ZeroTail of size 0). Shrinking a shrunk image changes
// nothing.
func ShrinkZeroTail(b []byte) (ZeroTail, error) {
	f, err := parse(b)
	if err != nil {
		return ZeroTail{}, err
	}
	idx := -1
	for i, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 && (idx < 0 || p.Vaddr > f.Progs[idx].Vaddr) {
			idx = i
		}
	}
	if idx < 0 {
		return ZeroTail{}, nil
	}
	seg := f.Progs[idx]
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr > seg.Vaddr {
			return ZeroTail{}, nil // not the last segment: its BSS is not a tail
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		return ZeroTail{}, nil // stripped: nothing tells where the library OS's variables end
	}
	end := linkedEnd(syms, seg)
	cut := tailCut(seg.ProgHeader, syms)
	if cut >= end {
		return ZeroTail{}, nil
	}
	le := binary.LittleEndian
	phoff, phentsize := le.Uint64(b[32:]), uint64(le.Uint16(b[54:]))
	le.PutUint64(b[phoff+uint64(idx)*phentsize+40:], cut-seg.Vaddr) // Elf64_Phdr.p_memsz
	return ZeroTail{Start: cut, End: end}, nil
}

// linkedEnd returns the end of seg as the linker laid it out: its p_memsz end, or runtime.end
// when that lies beyond (an image ShrinkZeroTail already rewrote).
func linkedEnd(syms []elf.Symbol, seg *elf.Prog) uint64 {
	end := seg.Vaddr + seg.Memsz
	for _, s := range syms {
		if s.Name == "runtime.end" && s.Value > end {
			end = s.Value
		}
	}
	return end
}

// tailCut returns where the loaded part of the writable segment seg must end: the first page
// boundary at or after its file contents and the end of every library-OS symbol inside it.
func tailCut(seg elf.ProgHeader, syms []elf.Symbol) uint64 {
	cut := seg.Vaddr + seg.Filesz
	for _, s := range syms {
		if s.Value < seg.Vaddr || !isKernelSymbol(s.Name) {
			continue
		}
		cut = max(cut, s.Value+s.Size)
	}
	return (cut + pageSize - 1) &^ (pageSize - 1)
}

func isKernelSymbol(name string) bool {
	for _, p := range kernelPackages {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
