package mm

import (
	"fmt"
	"github.com/unikgen/unikgen/runtime/errno"
	"strings"
	"testing"
)

func reset() {
	nvma = 0
	mmapCursor = mmapTop
}

func layout() string {
	var b strings.Builder
	for _, v := range vmas[:nvma] {
		fmt.Fprintf(&b, "[%#x-%#x %d]", v.start, v.end, v.prot)
	}
	return b.String()
}

const rw = protRead | protWrite

func TestMmapPlacement(t *testing.T) {
	reset()
	hint := uintptr(0xc000000000)
	if got := Mmap(hint, 64<<20, 0, mapPrivate|mapAnonymous); got != int64(hint) {
		t.Fatalf("free hint not honoured: %#x", got)
	}
	// The same hint again overlaps: the mapping goes elsewhere, below mmapTop.
	got := Mmap(hint, 4096, rw, mapPrivate|mapAnonymous)
	if got == int64(hint) || got < userMin || uintptr(got)+4096 > mmapTop {
		t.Fatalf("overlapping hint: got %#x", got)
	}
	// A hint in the kernel's identity map is not honoured.
	if got := Mmap(0x100000, 4096, rw, mapPrivate|mapAnonymous); got < userMin {
		t.Fatalf("mapping in the identity map: %#x", got)
	}
	if got := Mmap(0x1000, 4096, rw, mapPrivate|mapAnonymous|mapFixed); got != -errno.ENOMEM {
		t.Fatalf("MAP_FIXED below userMin: %d", got)
	}
	if got := Mmap(0, 4096, rw, mapPrivate); got != -errno.ENODEV {
		t.Fatalf("file mapping: %d", got)
	}
	if got := Mmap(hint, 4096, rw, mapPrivate|mapAnonymous|mapFixedNoreplace); got != -errno.EEXIST {
		t.Fatalf("MAP_FIXED_NOREPLACE over a mapping: %d", got)
	}
}

func TestFixedSplitsAndMerges(t *testing.T) {
	reset()
	base := uintptr(0x10_0000_0000)
	Mmap(base, 16*PageSize, 0, mapPrivate|mapAnonymous)
	Mmap(base+4*PageSize, 4*PageSize, rw, mapPrivate|mapAnonymous|mapFixed)
	want := fmt.Sprintf("[%#x-%#x 0][%#x-%#x 3][%#x-%#x 0]", base, base+4*PageSize,
		base+4*PageSize, base+8*PageSize, base+8*PageSize, base+16*PageSize)
	if got := layout(); got != want {
		t.Fatalf("after MAP_FIXED:\n got %s\nwant %s", got, want)
	}
	// Back to PROT_NONE merges everything into one area again.
	Mmap(base+4*PageSize, 4*PageSize, 0, mapPrivate|mapAnonymous|mapFixed)
	if got, want := layout(), fmt.Sprintf("[%#x-%#x 0]", base, base+16*PageSize); got != want {
		t.Fatalf("after remap: got %s want %s", got, want)
	}
	if r := Munmap(base+PageSize, PageSize); r != 0 {
		t.Fatal(r)
	}
	if got, want := layout(), fmt.Sprintf("[%#x-%#x 0][%#x-%#x 0]", base, base+PageSize, base+2*PageSize, base+16*PageSize); got != want {
		t.Fatalf("after munmap: got %s want %s", got, want)
	}
	if r := Mprotect(base+2*PageSize, PageSize, rw); r != 0 {
		t.Fatal(r)
	}
	if got := nvma; got != 3 {
		t.Fatalf("mprotect should split the second area into two (3 in all), got %d: %s", got, layout())
	}
	if r := Mprotect(base+PageSize, PageSize, rw); r != -errno.ENOMEM {
		t.Fatalf("mprotect of an unmapped page: %d", r)
	}
}

func TestFaultClassification(t *testing.T) {
	reset()
	base := uintptr(0x20_0000_0000)
	Mmap(base, PageSize, protRead, mapPrivate|mapAnonymous|mapFixed)
	Mmap(base+PageSize, PageSize, 0, mapPrivate|mapAnonymous|mapFixed)
	for _, c := range []struct {
		addr uintptr
		code uint64
		want FaultResult
	}{
		{0, 0, FaultNoMapping},
		{0x1000, 0, FaultNoMapping},
		{0x201000, FaultProtection | FaultWrite, FaultAccess}, // a write to the image's text
		{0x3a8000, FaultProtection | FaultFetch, FaultAccess}, // a jump into its data
		{base + 2*PageSize, 0, FaultNoMapping},
		{base, FaultWrite, FaultAccess},
		{base, FaultFetch, FaultAccess}, // program mappings are never executable
		{base + PageSize, 0, FaultAccess},
	} {
		if got := HandleFault(c.addr, c.code); got != c.want {
			t.Errorf("fault at %#x code %#x: got %d, want %d", c.addr, c.code, got, c.want)
		}
	}
}

func TestAreaTableFull(t *testing.T) {
	reset()
	base := uintptr(0x30_0000_0000)
	for i := 0; i < maxVMAs; i++ {
		prot := i % 2 // alternate so nothing merges
		if r := Mmap(base+uintptr(i)*PageSize, PageSize, prot, mapPrivate|mapAnonymous|mapFixed); r < 0 {
			t.Fatalf("mapping %d: %d", i, r)
		}
	}
	if r := Mmap(base+maxVMAs*PageSize+PageSize, PageSize, 0, mapPrivate|mapAnonymous|mapFixed); r != -errno.ENOMEM {
		t.Fatalf("full table: got %d, want ENOMEM", r)
	}
	if r := Munmap(base+PageSize*10, PageSize); r != 0 {
		t.Fatalf("removing a whole area must work with a full table: %d", r)
	}
}

// TestFileAreas: a file mapping's area (MapFile's program view) stays read-only, keeps its file
// mark through mprotect and partial unmaps, and HasFile finds it (runtime/sys tells the file
// service when it goes). Page tables are not set up on the host: the areas alone are checked.
func TestFileAreas(t *testing.T) {
	reset()
	base := uintptr(0x10_0000_0000)
	if got := mmapArea(base, 4*PageSize, protRead|protFile, mapShared|mapFixed); got != int64(base) {
		t.Fatalf("mmapArea = %#x", got)
	}
	if got := Mmap(base+4*PageSize, PageSize, protRead, mapPrivate|mapAnonymous|mapFixed); got != int64(base+4*PageSize) {
		t.Fatalf("anonymous neighbour: %#x", got)
	}
	if !HasFile(base+3*PageSize, 2*PageSize) || HasFile(base+4*PageSize, PageSize) {
		t.Errorf("HasFile: wrong answer around the file area's end; layout %s", layout())
	}
	if got := Mprotect(base, PageSize, protRead|protWrite); got != -errno.EACCES {
		t.Errorf("mprotect PROT_WRITE on a file mapping = %d, want EACCES", got)
	}
	if got := Mprotect(base+PageSize, PageSize, 0); got != 0 {
		t.Errorf("mprotect PROT_NONE = %d", got)
	}
	if !HasFile(base+PageSize, PageSize) || Mprotect(base+PageSize, PageSize, protRead|protWrite) != -errno.EACCES {
		t.Errorf("mprotect lost the file mark; layout %s", layout())
	}
	if got := Munmap(base, 2*PageSize); got != 0 || HasFile(base, 2*PageSize) || !HasFile(base+2*PageSize, PageSize) {
		t.Errorf("partial munmap: %d; layout %s", got, layout())
	}
	if _, _, res := MapFile(0, PageSize, protRead|protWrite, mapShared); res != -errno.EINVAL {
		t.Errorf("MapFile with PROT_WRITE = %d, want EINVAL", res)
	}
}
