package mm

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"testing"
)

func resetKernel() {
	nkmap, tail = 0, span{}
	nram, nres, nshadow = 0, 0, 0
	directTotal, directUsed, shadowTotal, shadowUsed = 0, 0, 0, 0
}

// TestKernelPTE checks the sealed identity map's entries for an image laid out as the Go linker
// lays out a kernel: text, rodata, data+BSS with a guard page inside, a hypercall page made
// executable, and a zero tail.
func TestKernelPTE(t *testing.T) {
	resetKernel()
	defer resetKernel()
	MapKernel(0x200000, 0x2ace51, ReadExec)
	MapKernel(0x2ad000, 0x3a20c8, ReadOnly)
	MapKernel(0x3a3000, 0x43be60, ReadWrite)
	MapKernel(0x410000, 0x411000, Guard)
	MapKernel(0x407000, 0x408000, ReadExec)
	SetZeroTail(0x43c000, 0x2468e00)
	const x = ptePresent // read-only, executable
	const r = ptePresent | pteNX
	const w = ptePresent | pteWrite | pteNX
	for _, c := range []struct {
		va   uintptr
		want uint64
	}{
		{0, 0},                       // page 0
		{0x1000, 0x1000 | w},         // RAM below the image
		{0x200000, 0x200000 | x},     // the ELF header page, in the text segment
		{0x2ac000, 0x2ac000 | x},     // the text's last page
		{0x2ad000, 0x2ad000 | r},     // rodata
		{0x3a2000, 0x3a2000 | r},     // its last, partial page
		{0x3a3000, 0x3a3000 | w},     // data
		{0x407000, 0x407000 | x},     // the hypercall page: a later MapKernel wins
		{0x410000, 0},                // the guard page
		{0x43b000, 0x43b000 | w},     // the last loaded page
		{0x43c000, 0},                // the zero tail: demand-paged
		{0x2468000, 0},               // its last page
		{0x2469000, 0x2469000 | w},   // RAM after it
		{0xfee00000, 0xfee00000 | w}, // MMIO (the LAPIC)
	} {
		if got := kernelPTE(c.va); got != c.want {
			t.Errorf("kernelPTE(%#x) = %#x, want %#x", c.va, got, c.want)
		}
	}
	for _, c := range []struct {
		start uintptr
		want  bool
	}{{0, true}, {0x200000, true}, {0x400000, true}, {0x2400000, true}, {0x2600000, false}, {0xfee00000, false}} {
		if got := specialRegion(c.start, c.start+hugePage); got != c.want {
			t.Errorf("specialRegion(%#x) = %v, want %v", c.start, got, c.want)
		}
	}
	if !IsGuard(0x410fff) || IsGuard(0x411000) || IsGuard(0x40ffff) {
		t.Error("IsGuard does not match the guard page [0x410000, 0x411000)")
	}
}

// TestZeroTailFrames checks that RAM under the zero tail is kept apart: AllocFrame cannot reach
// it through the identity map, so it only backs demand-paged pages.
func TestZeroTailFrames(t *testing.T) {
	resetKernel()
	defer resetKernel()
	Reserve(0x200000, 0x43be60)
	SetZeroTail(0x43be60, 0x2468e00)
	AddRAM(0, 0x9fc00)
	AddRAM(0x100000, 0x1000000) // 16 MiB
	direct, shadowed := FreeFrames()
	if want := uintptr(0x100000 / PageSize); direct != want {
		t.Errorf("direct frames %d, want %d (1 MiB .. 2 MiB)", direct, want)
	}
	if want := uintptr((0x1000000 - 0x43c000) / PageSize); shadowed != want {
		t.Errorf("shadowed frames %d, want %d (the tail's start .. 16 MiB)", shadowed, want)
	}
	if nram != 1 || ram[0] != (span{0x100000, 0x200000}) {
		t.Errorf("direct RAM %v", ram[:nram])
	}
}

func TestExecutableMemoryRefused(t *testing.T) {
	reset()
	if got := Mmap(0, PageSize, protRead|protExec, mapPrivate|mapAnonymous); got != -errno.EACCES {
		t.Errorf("mmap PROT_EXEC: %d, want -EACCES", got)
	}
	a := Mmap(0, PageSize, protRead|protWrite, mapPrivate|mapAnonymous)
	if a < 0 {
		t.Fatal(a)
	}
	if got := Mprotect(uintptr(a), PageSize, protRead|protExec); got != -errno.EACCES {
		t.Errorf("mprotect PROT_EXEC: %d, want -EACCES", got)
	}
	if got := Mprotect(uintptr(a), PageSize, protRead); got != 0 {
		t.Errorf("mprotect PROT_READ: %d", got)
	}
}
