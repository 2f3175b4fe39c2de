// Package analysis is unikgen's whole-program analyser: it decides what a
// kernel built from a Go main package must contain.
//
// Analyze loads the program for the kernel's build configuration (GOOS=linux,
// GOARCH=amd64, CGO_ENABLED=0 and the caller's build tags; package load),
// builds SSA for every function, and computes what can run (package reach:
// RTA with constant-branch pruning, the linker's reflection rule, and the
// edges of //go:linkname, assembly and the runtime). From that it derives
//
//   - the Linux system calls the program can make (package syscalls),
//   - the capabilities it uses: console, clock, randomness, sockets by kind,
//     files, block devices, signals, process control (package capability),
//     each with a shortest call path from main as its witness,
//   - every reachable use of an API that a unikernel cannot provide, such as
//     fork/exec, ptrace or plugins (package unsupported), positioned at the
//     call in the user's module and with its call path from main.
//
// The Result is plain data, deterministic and JSON-encodable; Why answers
// "why is this in the kernel" for a function, package, capability or system
// call. Analyze never writes files, prints or exits.
//
// The results hold for one configuration of GOOS, GOARCH and tags. Calls made
// only through reflect.Value.Call of a function that is never address-taken,
// and code the compiler inserts (map and channel operations, write barriers)
// are outside the model; the runtime is treated as always present.
package analysis

import (
	"context"
	"fmt"
	"github.com/unikgen/unikgen/internal/libos"
	"go/token"
	"go/types"
	"sort"
	"strings"
	"time"

	"github.com/unikgen/unikgen/analysis/capability"
	"github.com/unikgen/unikgen/analysis/load"
	"github.com/unikgen/unikgen/analysis/reach"
	"github.com/unikgen/unikgen/analysis/syscalls"
	"github.com/unikgen/unikgen/analysis/unsupported"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Config says what to analyse.
type Config struct {
	// Dir is the directory in which to run the go command ("" = current).
	Dir string
	// Patterns select the main package(s) (default ".").
	Patterns []string
	// Tags are the kernel's build tags.
	Tags []string
	// Env holds extra environment entries (KEY=VALUE) for the go command.
	// GOOS, GOARCH and CGO_ENABLED are always linux, amd64 and 0.
	Env []string
	// ExtraRoots are further entry points, as linker-style symbols
	// ("pkg.Func", or an assembly-only "pkg.sym"). libos.EntrySymbol (the
	// kernel's ELF entry) is added whenever the program contains its package.
	ExtraRoots []string
	// Overlay maps absolute file names to contents that replace or add
	// files, as go build -overlay does (unikgen build injects the library
	// OS's boot import this way, so the analysis sees the same program).
	Overlay map[string][]byte
	// Inspect, if set, sees the loaded initial packages first (see load.Config.Inspect).
	Inspect func(initial []*packages.Package) error
	// Log, if non-nil, receives progress messages with phase timings.
	Log func(format string, args ...any)
}

func (cfg *Config) logf(format string, args ...any) {
	if cfg.Log != nil {
		cfg.Log(format, args...)
	}
}

// Result is what the analysis found for one main package.
type Result struct {
	// Package is the import path of the main package; Module the path of
	// its module, whose code is the "user code" of diagnostics.
	Package string `json:"package"`
	Module  string `json:"module,omitempty"`
	Target  Target `json:"target"`
	Stats   Stats  `json:"stats"`
	// Syscalls are the Linux system calls the program can make.
	Syscalls Syscalls `json:"syscalls"`
	// Capabilities are the ones used, sorted by name.
	Capabilities []Capability `json:"capabilities"`
	// Reflection says whether the linker's reflection rule applies.
	Reflection Reflection `json:"reflection"`
	// Unsupported lists every reachable use of an API that a unikernel
	// cannot provide; a kernel must not be built when it is not empty.
	Unsupported []Diagnostic `json:"unsupported"`
	// Packages are the packages with at least one reachable function.
	Packages []string `json:"packages"`

	graph    *reach.Graph
	sysSites map[int][]siteRef
}

// Target is the configuration the result holds for.
type Target struct {
	GOOS   string   `json:"goos"`
	GOARCH string   `json:"goarch"`
	Tags   []string `json:"tags,omitempty"`
}

// Stats are size measures of the analysis.
type Stats struct {
	Packages     int `json:"packages"`      // packages loaded
	Reachable    int `json:"reachable"`     // reachable functions
	PrunedBlocks int `json:"pruned_blocks"` // blocks skipped by constant conditions
}

// Syscalls is the set of system calls a program can make.
type Syscalls struct {
	// All is true when some reachable call passes a number that is not a
	// constant: then the program may make any system call. Unknown lists
	// those call sites.
	All     bool          `json:"all"`
	Unknown []UnknownSite `json:"unknown,omitempty"`
	// Calls are the known system calls, by number.
	Calls []Syscall `json:"calls"`
}

// A Syscall is one system call the program can make.
type Syscall struct {
	Nr   int    `json:"nr"`
	Name string `json:"name"`
	// Runtime and Program say whether the Go runtime and the rest of the
	// program (the standard library included) make it.
	Runtime bool `json:"runtime,omitempty"`
	Program bool `json:"program,omitempty"`
	// Uncertain is set when every site of the call is reachable only
	// through edges that type flow does not confirm (see
	// Capability.Uncertain); the call stays in the set.
	Uncertain bool `json:"uncertain,omitempty"`
}

// An UnknownSite is a reachable system call whose number is not a constant.
type UnknownSite struct {
	Pos  string `json:"pos"`
	Func string `json:"func"`
	Path Path   `json:"path"`
}

// A Capability is a kind of service the program needs from the library OS.
type Capability struct {
	// Name is one of console, clock, random, sockets, files, block,
	// signals, process.
	Name string `json:"name"`
	// Kinds refines sockets: tcp4, tcp6, udp4, udp6, ip4, ip6, unix,
	// unixgram, unixpacket, netlink, packet.
	Kinds []Kind `json:"kinds,omitempty"`
	// Witness is a shortest call path from a root to a use.
	Witness Path `json:"witness"`
	// Uncertain is set when every path to a use takes a dynamic or
	// interface call that RTA finds but type flow (VTA) does not confirm.
	Uncertain bool `json:"uncertain,omitempty"`
}

// A Kind is one refinement of a capability with its own witness.
type Kind struct {
	Name      string `json:"name"`
	Witness   Path   `json:"witness"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// Reflection reports the linker's reflection rule.
type Reflection struct {
	// AllMethods is true when a call of reflect's Method or MethodByName
	// with a non-constant name is reachable: every exported method of
	// every runtime type is then kept. Witness leads to that call.
	AllMethods bool `json:"all_methods"`
	Witness    Path `json:"witness,omitempty"`
	// Names are the constant MethodByName names, sorted.
	Names []string `json:"names,omitempty"`
}

// A Diagnostic is one reachable use of an unsupported API.
type Diagnostic = unsupported.Diagnostic

// A Path is a call path from a root; see reach.Step.
type Path = reach.Path

// A Step is one function on a Path.
type Step = reach.Step

type siteRef struct {
	caller int32
	step   Step // the call of the entry point
}

// Analyze analyses the single main package selected by cfg.Patterns.
func Analyze(ctx context.Context, cfg Config) (*Result, error) {
	rs, err := AnalyzeAll(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		var names []string
		for _, r := range rs {
			names = append(names, r.Package)
		}
		return nil, fmt.Errorf("%d main packages (%s), want 1", len(rs), strings.Join(names, ", "))
	}
	return rs[0], nil
}

// AnalyzeAll analyses every main package selected by cfg.Patterns, sharing
// one load and one SSA program. Results are sorted by package path.
func AnalyzeAll(ctx context.Context, cfg Config) ([]*Result, error) {
	t0 := time.Now()
	lp, err := load.Load(ctx, load.Config{Dir: cfg.Dir, Patterns: cfg.Patterns, Tags: cfg.Tags, Env: cfg.Env, Overlay: cfg.Overlay, Inspect: cfg.Inspect})
	if err != nil {
		return nil, err
	}
	cfg.logf("load: %d packages in %v", len(lp.Packages()), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	prog, spkgs := ssautil.AllPackages(lp.Initial, ssa.InstantiateGenerics)
	type mainPkg struct {
		pkg    *ssa.Package
		module string
	}
	var mains []mainPkg
	for i, p := range lp.Initial {
		if p.Name != "main" || spkgs[i] == nil {
			continue
		}
		mod := ""
		if p.Module != nil {
			mod = p.Module.Path
		}
		mains = append(mains, mainPkg{spkgs[i], mod})
	}
	if len(mains) == 0 {
		var names []string
		for _, p := range lp.Initial {
			names = append(names, p.PkgPath)
		}
		return nil, fmt.Errorf("no main package among %s: a kernel is built from a main package", strings.Join(names, ", "))
	}
	fset := lp.Fset
	linknames, asm, cgo := lp.Linknames, lp.Asm, lp.Cgo
	// Drop the syntax before building, as cmd/deadcode does.
	lp, spkgs = nil, nil
	prog.Build()
	cfg.logf("ssa: built in %v", time.Since(t0).Round(time.Millisecond))

	var out []*Result
	for _, m := range mains {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, analyzeMain(prog, fset, m.pkg, m.module, cfg, linknames, asm, cgo))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Package < out[j].Package })
	return out, nil
}

// analyzeMain runs reachability and the derived analyses for one main package.
func analyzeMain(prog *ssa.Program, fset *token.FileSet, main *ssa.Package, module string, cfg Config,
	linknames []load.Linkname, asm []load.AsmFunc, cgo []load.CgoUse) *Result {

	var roots []*ssa.Function
	for _, name := range []string{"main", "init"} {
		if f := main.Func(name); f != nil {
			roots = append(roots, f)
		}
	}
	pkgDeps := deps(main.Pkg)
	extra := append([]string(nil), cfg.ExtraRoots...)
	if bootPkg, _ := load.SplitSymbol(libos.EntrySymbol); pkgDeps[bootPkg] {
		extra = append(extra, libos.EntrySymbol)
	}
	t0 := time.Now()
	capIn := capability.NewCollector()
	res := reach.Analyze(prog, reach.Options{
		Roots:      roots,
		ExtraRoots: extra,
		Linknames:  linknames,
		Asm:        asm,
		Visit:      capIn.Visit,
	})
	cfg.logf("%s: reach: %d functions in %v", main.Pkg.Path(), len(res.Reachable), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	res.Refine()
	cfg.logf("%s: refine (VTA): %v", main.Pkg.Path(), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	defer func() { cfg.logf("%s: derive: %v", main.Pkg.Path(), time.Since(t0).Round(time.Millisecond)) }()
	g := res.Graph(fset)
	r := &Result{
		Package: main.Pkg.Path(),
		Module:  module,
		Target:  Target{GOOS: "linux", GOARCH: "amd64", Tags: append([]string(nil), cfg.Tags...)},
		Stats:   Stats{Packages: len(pkgDeps), Reachable: len(res.Reachable), PrunedBlocks: res.PrunedBlocks},
		graph:   g,
	}
	sites := syscalls.Find(res)
	r.fillSyscalls(g, sites)
	r.Capabilities = convertCaps(capability.Derive(res, g, sites, capIn))
	r.fillReflection(res, g)
	user := module
	if user == "" {
		user = main.Pkg.Path() // GOPATH mode or the standard library's commands
	}
	r.Unsupported = unsupported.Check(res, g, sites, user, cgoOf(pkgDeps, cgo))
	if r.Unsupported == nil {
		r.Unsupported = []Diagnostic{}
	}
	pkgs := map[string]bool{}
	for id := 0; id < g.Len(); id++ {
		if p := g.Pkg(int32(id)); p != "" {
			pkgs[p] = true
		}
	}
	for p := range pkgs {
		r.Packages = append(r.Packages, p)
	}
	sort.Strings(r.Packages)
	g.DropSSA()
	return r
}

// deps returns the paths of main and the packages it imports, directly or
// not.
func deps(main *types.Package) map[string]bool {
	deps := map[string]bool{}
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		if deps[p.Path()] {
			return
		}
		deps[p.Path()] = true
		for _, q := range p.Imports() {
			walk(q)
		}
	}
	walk(main)
	return deps
}

// cgoOf returns the cgo uses in the given packages.
func cgoOf(deps map[string]bool, all []load.CgoUse) []load.CgoUse {
	var out []load.CgoUse
	for _, c := range all {
		if deps[c.Pkg] {
			out = append(out, c)
		}
	}
	return out
}

func (r *Result) fillSyscalls(g *reach.Graph, sites []syscalls.Site) {
	r.sysSites = map[int][]siteRef{}
	byNr := map[int]*Syscall{}
	precise := g.PreciseReachable()
	certain := map[int]bool{}
	for _, s := range sites {
		if s.Nr < 0 {
			id, _ := g.ID(s.Caller)
			p := g.PathTo(func(n int32) bool { return n == id })
			r.Syscalls.All = true
			r.Syscalls.Unknown = append(r.Syscalls.Unknown, UnknownSite{
				Pos:  g.Position(s.Pos),
				Func: s.Caller.String(),
				Path: appendCall(p, s, g),
			})
			continue
		}
		sc := byNr[s.Nr]
		if sc == nil {
			name := syscalls.Name(s.Nr)
			if name == "" {
				name = fmt.Sprintf("syscall_%d", s.Nr)
			}
			sc = &Syscall{Nr: s.Nr, Name: name}
			byNr[s.Nr] = sc
		}
		if s.InRuntime() {
			sc.Runtime = true
		} else {
			sc.Program = true
		}
		ref := siteRef{caller: -1}
		if s.Caller != nil {
			ref.caller, _ = g.ID(s.Caller)
		}
		if ref.caller < 0 || precise[ref.caller] {
			certain[s.Nr] = true
		}
		if s.Callee != nil {
			ref.step = Step{Func: s.Callee.String(), Kind: reach.Static.String(), Pos: g.Position(s.Pos)}
		} else {
			ref.step = Step{Func: "SYSCALL " + byNr[s.Nr].Name, Kind: reach.Asm.String()}
		}
		r.sysSites[s.Nr] = append(r.sysSites[s.Nr], ref)
	}
	r.Syscalls.Calls = []Syscall{}
	for _, sc := range byNr {
		sc.Uncertain = !certain[sc.Nr]
		r.Syscalls.Calls = append(r.Syscalls.Calls, *sc)
	}
	sort.Slice(r.Syscalls.Calls, func(i, j int) bool { return r.Syscalls.Calls[i].Nr < r.Syscalls.Calls[j].Nr })
}

// appendCall extends a path to a site's caller with the call itself.
func appendCall(p Path, s syscalls.Site, g *reach.Graph) Path {
	if p == nil || s.Callee == nil {
		return p
	}
	return append(p, Step{Func: s.Callee.String(), Kind: reach.Static.String(), Pos: g.Position(s.Pos)})
}

func (r *Result) fillReflection(res *reach.Result, g *reach.Graph) {
	if f := res.ReflectAll; f != nil {
		r.Reflection.AllMethods = true
		id, _ := g.ID(f)
		r.Reflection.Witness = g.PathTo(func(n int32) bool { return n == id })
	}
	for n := range res.ReflectNames {
		r.Reflection.Names = append(r.Reflection.Names, n)
	}
	sort.Strings(r.Reflection.Names)
}

func convertCaps(cs []capability.Capability) []Capability {
	out := []Capability{}
	for _, c := range cs {
		cc := Capability{Name: c.Name, Witness: c.Witness, Uncertain: c.Uncertain}
		for _, k := range c.Kinds {
			cc.Kinds = append(cc.Kinds, Kind{Name: k.Name, Witness: k.Witness, Uncertain: k.Uncertain})
		}
		out = append(out, cc)
	}
	return out
}

// ErrorList is returned when the program does not load: one positioned
// message per line, as the go command prints them.
type ErrorList = load.Error
