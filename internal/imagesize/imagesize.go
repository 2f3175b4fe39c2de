// Package imagesize measures a linked unikgen image: how many bytes of the file and of guest memory
// each ELF section, each Go package and each kernel component takes.
//
// It reads the image with debug/elf (the ELF-64 object file format, System V gABI, "Sections" and
// "Program Header"). The file size is the size of the file on disk: allocated PROGBITS sections,
// DWARF and symbol tables, headers and alignment padding. The memory size is what the PT_LOAD
// segments occupy once loaded (p_memsz): allocated sections, the padding between them, and the
// SHT_NOBITS sections (.bss, .noptrbss), which take memory but no file bytes.
//
// Bytes of an allocated section are attributed to Go packages through the symbol table (the name
// of a Go symbol starts with its package's import path; "type:T" symbols go to T's package). Each
// byte counts once: where symbols overlap, the first (lowest address, then largest) wins, and the
// bytes no symbol covers are reported under [Unattributed] (the section's name in parentheses), so that, section by
// section, the packages add up exactly to the section's size.
package imagesize

import (
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Unattributed returns the name under which the bytes of an allocated section that no symbol
// covers are counted (the linker's tables without a symbol, such as .gopclntab, and alignment
// between symbols): the section's name in parentheses.
func Unattributed(section string) string { return "(" + section + ")" }

// Report is the measurement of one image.
type Report struct {
	Image      string    `json:"image"`
	FileSize   int64     `json:"file_size"`   // bytes on disk
	MemorySize int64     `json:"memory_size"` // sum of the PT_LOAD segments' p_memsz
	Sections   []Section `json:"sections"`    // in file order
	// HeaderFile is the file bytes outside every section: ELF and program headers, alignment padding.
	HeaderFile int64 `json:"header_file"`
	// PaddingMemory is the loaded memory outside every allocated section (alignment between sections).
	PaddingMemory int64 `json:"padding_memory"`
	// ZeroTail is the allocated bytes beyond the PT_LOAD segments: BSS mapped on demand.
	ZeroTail int64 `json:"zero_tail"`
	// Packages are the allocated bytes by Go package, largest (memory + zero tail) first.
	Packages []Package `json:"packages"`
}

// Section is one ELF section's share of the file and of memory.
type Section struct {
	Name   string `json:"name"`
	File   int64  `json:"file"`   // bytes in the file (compressed size for compressed DWARF)
	Memory int64  `json:"memory"` // bytes loaded (0 for sections that are not SHF_ALLOC)
	// ZeroTail is the bytes of the section beyond the PT_LOAD segments (Memory + ZeroTail is the
	// size of an allocated section).
	ZeroTail int64 `json:"zero_tail,omitempty"`
	// ByPackage maps a package (or Unattributed(Name)) to its bytes in this allocated section,
	// loaded or in the zero tail.
	ByPackage map[string]int64 `json:"by_package,omitempty"`
}

// Package is one Go package's share of the allocated sections.
type Package struct {
	Path   string `json:"path"`
	File   int64  `json:"file"`   // bytes in PROGBITS sections
	Memory int64  `json:"memory"` // File plus bytes in NOBITS sections, loaded
	// ZeroTail is the package's bytes in the zero tail (mapped on demand).
	ZeroTail int64 `json:"zero_tail"`
}

// Measure reads the image at path.
func Measure(path string) (*Report, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v (a stripped image has no symbols to attribute bytes with)", path, err)
	}
	r := &Report{Image: path, FileSize: st.Size(), MemorySize: loadedSize(f)}
	var fileInSections, memInSections int64
	pkgs := map[string]*Package{}
	for i, s := range f.Sections {
		if s.Type == elf.SHT_NULL {
			continue
		}
		sec := Section{Name: s.Name}
		if s.Type != elf.SHT_NOBITS {
			sec.File = int64(s.FileSize)
		}
		if s.Flags&elf.SHF_ALLOC != 0 {
			loadEnd := s.Addr // the end of the loaded part of the section
			for _, p := range f.Progs {
				if p.Type == elf.PT_LOAD && p.Vaddr <= s.Addr && s.Addr < p.Vaddr+p.Memsz {
					loadEnd = min(p.Vaddr+p.Memsz, s.Addr+s.Size)
				}
			}
			sec.Memory = int64(loadEnd - s.Addr)
			sec.ZeroTail = int64(s.Size) - sec.Memory
			shares := attribute(syms, elf.SectionIndex(i), s.Name, s.Addr, s.Size, loadEnd)
			sec.ByPackage = map[string]int64{}
			for p, n := range shares {
				sec.ByPackage[p] = n.loaded + n.tail
				pk := pkgs[p]
				if pk == nil {
					pk = &Package{Path: p}
					pkgs[p] = pk
				}
				pk.Memory += n.loaded
				pk.ZeroTail += n.tail
				if sec.File > 0 {
					pk.File += n.loaded
				}
			}
			r.ZeroTail += sec.ZeroTail
		}
		fileInSections += sec.File
		memInSections += sec.Memory
		r.Sections = append(r.Sections, sec)
	}
	r.HeaderFile = r.FileSize - fileInSections
	r.PaddingMemory = r.MemorySize - memInSections
	if r.HeaderFile < 0 || r.PaddingMemory < 0 {
		return nil, fmt.Errorf("%s: sections overlap (%d file bytes, %d memory bytes more than the image has)", path, -min(r.HeaderFile, 0), -min(r.PaddingMemory, 0))
	}
	for _, p := range pkgs {
		r.Packages = append(r.Packages, *p)
	}
	sort.Slice(r.Packages, func(i, j int) bool {
		a, b := r.Packages[i], r.Packages[j]
		if a.Memory+a.ZeroTail != b.Memory+b.ZeroTail {
			return a.Memory+a.ZeroTail > b.Memory+b.ZeroTail
		}
		return a.Path < b.Path
	})
	return r, nil
}

// share is a package's bytes in a section: loaded, and in the zero tail.
type share struct{ loaded, tail int64 }

// attribute divides the section [addr, addr+size) among the packages of the symbols in it; the
// bytes from loadEnd on are the zero tail.
func attribute(all []elf.Symbol, idx elf.SectionIndex, name string, addr, size, loadEnd uint64) map[string]share {
	var syms []elf.Symbol
	for _, s := range all {
		if s.Section == idx && s.Size > 0 {
			syms = append(syms, s)
		}
	}
	sort.Slice(syms, func(i, j int) bool {
		if syms[i].Value != syms[j].Value {
			return syms[i].Value < syms[j].Value
		}
		return syms[i].Size > syms[j].Size
	})
	out := map[string]share{}
	add := func(pkg string, lo, hi uint64) {
		sh := out[pkg]
		cut := min(max(loadEnd, lo), hi)
		sh.loaded += int64(cut - lo)
		sh.tail += int64(hi - cut)
		out[pkg] = sh
	}
	end, next := addr+size, addr // next: the first byte not yet attributed
	for _, s := range syms {
		lo, hi := max(s.Value, next), min(s.Value+s.Size, end)
		if lo >= hi {
			continue
		}
		if lo > next { // a gap between symbols
			add(Unattributed(name), next, lo)
		}
		add(PackageOf(s.Name), lo, hi)
		next = hi
	}
	if next < end {
		add(Unattributed(name), next, end)
	}
	return out
}

// PackageOf returns the import path of the Go package a linker symbol belongs to: "fmt" for
// "fmt.Println", "example.com/m/pkg" for "example.com/m/pkg.(*T).M", T's package for
// "type:*example.com/m/pkg.T". Symbols of no package are grouped by their kind: "go:string",
// "go:func", "type:" (type descriptors of unnamed types), "$f64" (floating-point constants), and
// "(assembly)" for names without a package qualifier.
func PackageOf(name string) string {
	if t, ok := strings.CutPrefix(name, "type:"); ok {
		if rest, ok := strings.CutPrefix(t, "."); ok { // type:.eq.T, type:.hash.T: T's functions
			_, t, _ = strings.Cut(rest, ".")
		}
		t = strings.TrimLeft(t, "*[]0123456789")
		if p := qualifier(t); p != "" && !strings.ContainsAny(p, ":{ ") {
			return p
		}
		return "type:"
	}
	if strings.HasPrefix(name, "go:") {
		kind, _, _ := strings.Cut(name, ".")
		return kind
	}
	if strings.HasPrefix(name, "$") {
		kind, _, _ := strings.Cut(name, ".")
		return kind
	}
	if p := qualifier(name); p != "" {
		return p
	}
	return "(assembly)"
}

// qualifier returns the package path that qualifies a Go symbol name, or "".
func qualifier(name string) string {
	// Type arguments ("pkg.F[other/pkg.T]") may contain slashes and dots: cut them off first.
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot <= 0 {
		return ""
	}
	return name[:slash+1+dot]
}

// Sizes returns the file size of the image at path and its memory size (the PT_LOAD segments'
// p_memsz), without reading symbols: it works on stripped images too.
func Sizes(path string) (file, memory int64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return st.Size(), loadedSize(f), nil
}

// loadedSize is the sum of f's PT_LOAD segments' p_memsz.
func loadedSize(f *elf.File) int64 {
	var n int64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			n += int64(p.Memsz)
		}
	}
	return n
}
