package imagesize_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/imagesize"
	"github.com/unikgen/unikgen/internal/testenv"
)

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"fmt.Println":            "fmt",
		"main.main":              "main",
		"runtime.(*mheap).alloc": "runtime",
		"internal/runtime/maps.(*Map).getWithKey":    "internal/runtime/maps",
		"github.com/unikgen/unikgen/runtime/fd.objs": "github.com/unikgen/unikgen/runtime/fd",
		"gvisor.dev/gvisor/pkg/tcpip/stack.New":      "gvisor.dev/gvisor/pkg/tcpip/stack",
		"slices.Sort[go.shape.[]example.com/m/p.T]":  "slices",
		"type:*example.com/m/p.T":                    "example.com/m/p",
		"type:[]*os.File":                            "os",
		"type:func(int) error":                       "type:",
		"type:struct { a int }":                      "type:",
		"go:string.*":                                "go:string",
		"go:itab.*os.File,io.Writer":                 "go:itab",
		"$f64.3ff0000000000000":                      "$f64",
		"_rt0_amd64_linux":                           "(assembly)",
	} {
		if got := imagesize.PackageOf(name); got != want {
			t.Errorf("PackageOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	c := &imagesize.Classifier{
		Components: map[string]string{
			"network":        "github.com/unikgen/unikgen/services/netstack",
			"platform/xen":   "github.com/unikgen/unikgen/runtime/platform/xen",
			"files":          "github.com/unikgen/unikgen/services/fs",
			"block":          "github.com/unikgen/unikgen/services/fs/virtioblk",
			"no-own-package": "",
		},
		Program: "example.com/app/cmd/app",
		Module:  "example.com/app",
	}
	for p, want := range map[string]string{
		"github.com/unikgen/unikgen/services/netstack/link": "network",
		"github.com/unikgen/unikgen/services/fs/virtioblk":  "block", // the longer package wins
		"github.com/unikgen/unikgen/services/fs":            "files",
		"github.com/unikgen/unikgen/services/fsx":           imagesize.GroupLibraryOS,
		"github.com/unikgen/unikgen/runtime/sched":          imagesize.GroupLibraryOS,
		"main":                               imagesize.GroupProgram,
		"example.com/app/internal":           imagesize.GroupProgram,
		"runtime":                            imagesize.GroupRuntime,
		"internal/runtime/maps":              imagesize.GroupRuntime,
		"runtimex":                           imagesize.GroupStd,
		"net/http":                           imagesize.GroupStd,
		"gvisor.dev/gvisor/pkg/tcpip":        imagesize.GroupDeps,
		"go:string":                          imagesize.GroupLinker,
		imagesize.Unattributed(".gopclntab"): imagesize.GroupLinker,
	} {
		if got := c.Classify(p); got != want {
			t.Errorf("Classify(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestHello measures examples/hello as built by unikgen and checks that the parts add up
// (checkSums) and the components to the allocated sections; then the same with a zero tail.
func TestHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a kernel; skipped with -short")
	}
	testenv.NeedGo(t)
	ctx := context.Background()
	root := testenv.ModuleRoot()
	g, err := gen.Generate(ctx, gen.Options{Dir: root, Package: "./examples/hello"})
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "hello.xen")
	b, err := build.Build(ctx, build.Options{Dir: root, Package: "./examples/hello", Output: img, BootOverlay: g.BootOverlay})
	if err != nil {
		t.Fatal(err)
	}
	r := checkSums(t, img)
	if r.FileSize != b.Size {
		t.Errorf("file size %d, build says %d", r.FileSize, b.Size)
	}
	for _, name := range []string{".text", ".rodata", ".data", ".bss", ".noptrbss", ".debug_info", ".symtab"} {
		if _, ok := sectionOf(r, name); !ok {
			t.Errorf("no section %s in the report", name)
		}
	}
	var allocFile, allocMem, allocTail int64
	for _, s := range r.Sections {
		if s.ByPackage != nil {
			allocFile += s.File
			allocMem += s.Memory
			allocTail += s.ZeroTail
		}
	}

	// The same image with the last 64 KiB of its writable segment cut off, as
	// gen/image.ShrinkZeroTail does: those bytes move from memory to the zero tail.
	const cut = 64 << 10
	tailImg := filepath.Join(t.TempDir(), "tail.xen")
	if err := os.WriteFile(tailImg, lowerLastMemsz(t, img, cut), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := checkSums(t, tailImg)
	if rt.MemorySize != r.MemorySize-cut || rt.ZeroTail != r.ZeroTail+cut {
		t.Errorf("after cutting %d bytes: memory %d (was %d), zero tail %d (was %d)", cut, rt.MemorySize, r.MemorySize, rt.ZeroTail, r.ZeroTail)
	}
	if s, _ := sectionOf(rt, ".noptrbss"); s.ZeroTail < cut-4096 {
		t.Errorf(".noptrbss: zero tail %d bytes after a %d-byte cut", s.ZeroTail, cut)
	}

	c := &imagesize.Classifier{Components: map[string]string{}, Program: g.Plan.Package}
	for _, comp := range g.Plan.Components {
		c.Components[comp.Name] = comp.Package
	}
	comps := r.ByComponent(c)
	var compFile, compMem, compTail int64
	mem := map[string]int64{}
	for _, x := range comps {
		compFile += x.File
		compMem += x.Memory
		compTail += x.ZeroTail
		mem[x.Name] = x.Memory
	}
	if compFile != allocFile || compMem != allocMem || compTail != allocTail {
		t.Errorf("components: file %d memory %d zero tail %d; allocated sections: file %d memory %d zero tail %d", compFile, compMem, compTail, allocFile, allocMem, allocTail)
	}
	for _, name := range []string{imagesize.GroupProgram, imagesize.GroupRuntime, imagesize.GroupStd, imagesize.GroupLibraryOS, "platform/xen", "platform/qemu"} {
		if mem[name] <= 0 {
			t.Errorf("component %s has no bytes (%v)", name, mem)
		}
	}
	if mem["network"] != 0 {
		t.Errorf("hello makes no socket, yet the network component has %d bytes", mem["network"])
	}
	var out bytes.Buffer
	if err := r.Print(&out, comps); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"file ", ".noptrbss", "platform/xen", "fmt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, out.String())
		}
	}
}

func sectionOf(r *imagesize.Report, name string) (imagesize.Section, bool) {
	for _, s := range r.Sections {
		if s.Name == name {
			return s, true
		}
	}
	return imagesize.Section{}, false
}

// checkSums measures img and checks that the parts add up: the packages of each allocated section
// to the section, the sections (and headers) to the file and to the loaded segments (read here
// from the program headers, independently of Measure), and the packages to the allocated sections.
func checkSums(t *testing.T, img string) *imagesize.Report {
	t.Helper()
	r, err := imagesize.Measure(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var loaded int64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loaded += int64(p.Memsz)
		}
	}
	if r.MemorySize != loaded || loaded == 0 {
		t.Errorf("memory size %d, PT_LOAD segments %d", r.MemorySize, loaded)
	}
	var fileSum, memSum, tailSum, allocFile, allocMem int64
	for _, s := range r.Sections {
		fileSum += s.File
		memSum += s.Memory
		tailSum += s.ZeroTail
		es := f.Section(s.Name)
		if es == nil {
			t.Fatalf("section %s not in the image", s.Name)
		}
		if es.Flags&elf.SHF_ALLOC == 0 {
			if s.Memory != 0 || s.ZeroTail != 0 || s.ByPackage != nil {
				t.Errorf("%s is not loaded but counts %d memory bytes", s.Name, s.Memory)
			}
			continue
		}
		if s.Memory+s.ZeroTail != int64(es.Size) {
			t.Errorf("%s: memory %d + zero tail %d, section size %d", s.Name, s.Memory, s.ZeroTail, es.Size)
		}
		var byPkg int64
		for _, n := range s.ByPackage {
			byPkg += n
		}
		if byPkg != int64(es.Size) {
			t.Errorf("%s: packages add up to %d bytes, the section has %d", s.Name, byPkg, es.Size)
		}
		if es.Type == elf.SHT_NOBITS && s.File != 0 {
			t.Errorf("%s takes no file bytes, counted %d", s.Name, s.File)
		}
		allocFile += s.File
		allocMem += s.Memory
	}
	if fileSum+r.HeaderFile != r.FileSize || r.HeaderFile <= 0 {
		t.Errorf("sections %d + headers %d != file %d", fileSum, r.HeaderFile, r.FileSize)
	}
	if memSum+r.PaddingMemory != r.MemorySize {
		t.Errorf("sections %d + padding %d != memory %d", memSum, r.PaddingMemory, r.MemorySize)
	}
	if tailSum != r.ZeroTail {
		t.Errorf("sections' zero tails %d, report %d", tailSum, r.ZeroTail)
	}
	var pkgFile, pkgMem, pkgTail int64
	for _, p := range r.Packages {
		pkgFile += p.File
		pkgMem += p.Memory
		pkgTail += p.ZeroTail
	}
	if pkgFile != allocFile || pkgMem != allocMem || pkgTail != r.ZeroTail {
		t.Errorf("packages: file %d memory %d zero tail %d; allocated sections: file %d memory %d zero tail %d", pkgFile, pkgMem, pkgTail, allocFile, allocMem, r.ZeroTail)
	}
	return r
}

// lowerLastMemsz returns the image with the p_memsz of its last PT_LOAD lowered by n bytes
// (ELF-64 header: e_phoff at 32, e_phentsize at 54, e_phnum at 56; program header: p_filesz at
// 32, p_memsz at 40).
func lowerLastMemsz(t *testing.T, img string, n uint64) []byte {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(b[32:]), uint64(le.Uint16(b[54:])), uint64(le.Uint16(b[56:]))
	last := uint64(0)
	for i := uint64(0); i < phnum; i++ {
		if le.Uint32(b[phoff+i*phentsize:]) == uint32(elf.PT_LOAD) {
			last = i
		}
	}
	ph := b[phoff+last*phentsize:]
	filesz, memsz := le.Uint64(ph[32:]), le.Uint64(ph[40:])
	if memsz < filesz+n {
		t.Fatalf("the last segment has only %d zero bytes, cannot cut %d", memsz-filesz, n)
	}
	le.PutUint64(ph[40:], memsz-n)
	return b
}
