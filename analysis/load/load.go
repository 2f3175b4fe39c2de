// Package load loads a Go program for a unikgen kernel's build configuration.
//
// A kernel is always built with GOOS=linux, GOARCH=amd64 and CGO_ENABLED=0,
// so the program is loaded, type-checked and parsed for exactly that
// configuration (plus the caller's build tags) with
// golang.org/x/tools/go/packages in LoadAllSyntax mode: every dependency has
// syntax, so go/ssa can build every function body.
//
// Besides the packages, Load extracts from the loaded files what SSA cannot
// see: //go:linkname directives (from the syntax) and the symbol references
// and system calls of assembly functions (from the .s files of each package).
package load

import (
	"context"
	"fmt"
	"github.com/unikgen/unikgen/internal/libos"
	"go/token"
	"os"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Mode is the go/packages load mode used for whole-program analysis.
const Mode = packages.LoadAllSyntax | packages.NeedModule

// Config describes what to load and how.
type Config struct {
	// Dir is the directory in which the go command runs ("" means the
	// current directory).
	Dir string
	// Patterns are the package patterns to load (default ".").
	Patterns []string
	// Tags are the kernel's build tags.
	Tags []string
	// Env holds extra KEY=VALUE environment entries for the go command.
	// GOOS, GOARCH and CGO_ENABLED are always overridden by the kernel's
	// configuration.
	Env []string
	// Overlay replaces or adds files (absolute names), as go build -overlay.
	Overlay map[string][]byte
	// Inspect, if set, is called with the initial packages (syntax and types, package errors
	// included) as soon as they are loaded, before the errors are collected. An error it returns
	// ends Load with that error. It lets a caller read what it needs from the one load of the
	// program (unikgen's generator reads the config.Kernel literal) instead of loading it again.
	Inspect func(initial []*packages.Package) error
}

// Program is a loaded program.
type Program struct {
	Fset *token.FileSet
	// Initial are the packages matched by the patterns, in load order.
	Initial []*packages.Package
	// Linknames are the //go:linkname directives of all loaded packages.
	Linknames []Linkname
	// Asm holds the assembly functions of all loaded packages.
	Asm []AsmFunc
	// Cgo lists uses of cgo (import "C") in files that the
	// CGO_ENABLED=0 configuration ignores, outside GOROOT.
	Cgo []CgoUse
}

// Error is a load failure: the packages had errors, listed one per line.
type Error struct {
	Errors []string
}

func (e *Error) Error() string {
	return strings.Join(e.Errors, "\n")
}

// Load loads the packages of cfg with full syntax for every dependency.
// Package errors (syntax, types, missing imports) are returned as an *Error.
func Load(ctx context.Context, cfg Config) (*Program, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	env := append(os.Environ(), cfg.Env...)
	env = append(env, libos.BuildEnv()...)
	var flags []string
	if len(cfg.Tags) > 0 {
		flags = append(flags, "-tags="+strings.Join(cfg.Tags, ","))
	}
	fset := token.NewFileSet()
	pcfg := &packages.Config{
		Context:    ctx,
		Mode:       Mode,
		Dir:        cfg.Dir,
		Env:        env,
		BuildFlags: flags,
		Fset:       fset,
		Overlay:    cfg.Overlay,
	}
	initial, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, err
	}
	if len(initial) == 0 {
		return nil, &Error{Errors: []string{fmt.Sprintf("no packages match %q", patterns)}}
	}
	if cfg.Inspect != nil {
		if err := cfg.Inspect(initial); err != nil {
			return nil, err
		}
	}
	var errs []string
	seen := map[string]bool{}
	packages.Visit(initial, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			s := e.Error()
			if !seen[s] {
				seen[s] = true
				errs = append(errs, s)
			}
		}
	})
	if len(errs) > 0 {
		return nil, &Error{Errors: errs}
	}
	prog := &Program{Fset: fset, Initial: initial}
	var all []*packages.Package
	packages.Visit(initial, nil, func(p *packages.Package) { all = append(all, p) })
	sort.Slice(all, func(i, j int) bool { return all[i].PkgPath < all[j].PkgPath })
	for _, p := range all {
		prog.Linknames = append(prog.Linknames, linknames(p)...)
		asm, err := scanAsm(p)
		if err != nil {
			return nil, err
		}
		prog.Asm = append(prog.Asm, asm...)
		prog.Cgo = append(prog.Cgo, cgoUses(p, cfg.Tags)...)
	}
	return prog, nil
}

// Packages returns every package reachable from the initial ones, sorted by
// path.
func (p *Program) Packages() []*packages.Package {
	var all []*packages.Package
	packages.Visit(p.Initial, nil, func(p *packages.Package) { all = append(all, p) })
	sort.Slice(all, func(i, j int) bool { return all[i].PkgPath < all[j].PkgPath })
	return all
}
