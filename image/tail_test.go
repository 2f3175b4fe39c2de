package image

import (
	"debug/elf"
	"testing"
)

// The writable segment of a crypto/rand program as the Go linker lays it out (addresses from a
// real build): data, then BSS whose symbols are sorted by size, the library OS's largest
// (runtime/boot.stacks) just before the 32 MiB crypto/internal/fips140/drbg.memory.
var (
	rwSeg = elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | elf.PF_W, Vaddr: 0x3cd000, Paddr: 0x3cd000,
		Filesz: 0xfe20, Memsz: 0x209be00}
	rwSyms = []elf.Symbol{
		{Name: "runtime.firstmoduledata", Value: 0x3d0000, Size: 0x2a0},
		{Name: "github.com/unikgen/unikgen/runtime/sched.fxArea", Value: 0x427d60, Size: 32784},
		{Name: "runtime.cgroupScratch", Value: 0x43be00, Size: 69632},
		{Name: "github.com/unikgen/unikgen/runtime/boot.stacks", Value: 0x44ce00, Size: 114688},
		{Name: "crypto/internal/fips140/drbg.memory", Value: 0x468e00, Size: 32 << 20},
		{Name: "runtime.end", Value: 0x2468e00},
	}
)

func TestTailCut(t *testing.T) {
	if got, want := tailCut(rwSeg, rwSyms), uint64(0x469000); got != want {
		t.Errorf("cut %#x, want %#x: the page after runtime/boot.stacks", got, want)
	}
	// A program variable bigger than every kernel variable goes to the tail; a kernel variable
	// after it keeps it loaded.
	syms := append(append([]elf.Symbol{}, rwSyms...),
		elf.Symbol{Name: "github.com/unikgen/unikgen/drivers/virtio.buffers", Value: 0x2468e00, Size: 0x10000})
	if got, want := tailCut(rwSeg, syms), uint64(0x2479000); got != want {
		t.Errorf("with a kernel symbol at the end: cut %#x, want %#x", got, want)
	}
	// Never below the file contents.
	seg := rwSeg
	seg.Filesz = 0x200000
	if got, want := tailCut(seg, rwSyms), uint64(0x5cd000); got != want {
		t.Errorf("cut %#x, want %#x: the end of the file contents", got, want)
	}
}

func TestShrinkZeroTailWithoutSymbols(t *testing.T) {
	b := goLike().bytes()
	if err := Patch(b); err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), b...)
	z, err := ShrinkZeroTail(b)
	if err != nil {
		t.Fatal(err)
	}
	if z.Size() != 0 || string(b) != string(before) {
		t.Errorf("an image without a symbol table changed (tail %+v)", z)
	}
}
