package imagesize_test

import (
	"bytes"
	"context"
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/build"
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

// TestHello measures examples/hello as built by unikgen and checks that the parts add up: the
// packages of each allocated section to the section, the sections (and headers) to the file and
// to the loaded segments, and the components to the allocated sections.
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
	r, err := imagesize.Measure(img)
	if err != nil {
		t.Fatal(err)
	}
	if r.FileSize != b.Size {
		t.Errorf("file size %d, build says %d", r.FileSize, b.Size)
	}
	// Independently of Measure: the loaded size from the program headers.
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

	var fileSum, memSum, allocFile, allocMem int64
	seen := map[string]bool{}
	for _, s := range r.Sections {
		seen[s.Name] = true
		fileSum += s.File
		memSum += s.Memory
		es := f.Section(s.Name)
		if es == nil {
			t.Fatalf("section %s not in the image", s.Name)
		}
		if es.Flags&elf.SHF_ALLOC == 0 {
			if s.Memory != 0 || s.ByPackage != nil {
				t.Errorf("%s is not loaded but counts %d memory bytes", s.Name, s.Memory)
			}
			continue
		}
		if s.Memory != int64(es.Size) {
			t.Errorf("%s: memory %d, section size %d", s.Name, s.Memory, es.Size)
		}
		var byPkg int64
		for _, n := range s.ByPackage {
			byPkg += n
		}
		if byPkg != s.Memory {
			t.Errorf("%s: packages add up to %d bytes, the section has %d", s.Name, byPkg, s.Memory)
		}
		if es.Type == elf.SHT_NOBITS && s.File != 0 {
			t.Errorf("%s takes no file bytes, counted %d", s.Name, s.File)
		}
		allocFile += s.File
		allocMem += s.Memory
	}
	for _, name := range []string{".text", ".rodata", ".data", ".bss", ".noptrbss", ".debug_info", ".symtab"} {
		if !seen[name] {
			t.Errorf("no section %s in the report", name)
		}
	}
	if fileSum+r.HeaderFile != r.FileSize || r.HeaderFile <= 0 {
		t.Errorf("sections %d + headers %d != file %d", fileSum, r.HeaderFile, r.FileSize)
	}
	if memSum+r.PaddingMemory != r.MemorySize {
		t.Errorf("sections %d + padding %d != memory %d", memSum, r.PaddingMemory, r.MemorySize)
	}
	var pkgFile, pkgMem int64
	for _, p := range r.Packages {
		pkgFile += p.File
		pkgMem += p.Memory
	}
	if pkgFile != allocFile || pkgMem != allocMem {
		t.Errorf("packages: file %d memory %d; allocated sections: file %d memory %d", pkgFile, pkgMem, allocFile, allocMem)
	}

	c := &imagesize.Classifier{Components: map[string]string{}, Program: g.Plan.Package}
	for _, comp := range g.Plan.Components {
		c.Components[comp.Name] = comp.Package
	}
	comps := r.ByComponent(c)
	var compFile, compMem int64
	mem := map[string]int64{}
	for _, x := range comps {
		compFile += x.File
		compMem += x.Memory
		mem[x.Name] = x.Memory
	}
	if compFile != allocFile || compMem != allocMem {
		t.Errorf("components: file %d memory %d; allocated sections: file %d memory %d", compFile, compMem, allocFile, allocMem)
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
