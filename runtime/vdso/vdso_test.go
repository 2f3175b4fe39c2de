package vdso

import (
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/unikgen/unikgen/runtime/arch"
)

// TestImage reads the image back with debug/elf: the dynamic symbol, its version and its value.
func TestImage(t *testing.T) {
	const fn = 0x123456
	base := Build(fn)
	f, err := elf.NewFile(readerAt(arch.Bytes(base, size)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 || len(f.Progs) != 2 {
		t.Fatalf("header: %v %v, %d program headers", f.Type, f.Machine, len(f.Progs))
	}
	// debug/elf finds dynamic symbols through section headers, which the image does not have, so
	// check the pieces the Go runtime reads directly.
	b := arch.Bytes(base, size)
	name := string(b[offStrtab+1 : offStrtab+1+len(symName)])
	ver := string(b[offStrtab+2+len(symName) : offStrtab+2+len(symName)+len(versionName)])
	if name != symName || ver != versionName {
		t.Fatalf("strings %q %q", name, ver)
	}
	value := binary.LittleEndian.Uint64(b[offSymtab+24+8:])
	if base+uintptr(value) != fn {
		t.Fatalf("symbol value %#x: base %#x + value != %#x", value, base, fn)
	}
	if h := elfHash(versionName); h != versionHash {
		t.Fatalf("version hash %#x, want %#x", h, versionHash)
	}
}

func elfHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = h<<4 + uint32(s[i])
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
		}
		h &^= 0xf0000000
	}
	return h
}

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r)) {
		return 0, elf.ErrNoSymbols
	}
	return copy(p, r[off:]), nil
}
