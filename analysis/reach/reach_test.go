package reach_test

import (
	"context"
	"go/constant"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/analysis/load"
	"github.com/unikgen/unikgen/analysis/reach"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

const base = "github.com/unikgen/unikgen/analysis/reach/testdata/"

var (
	loadOnce sync.Once
	lp       *load.Program
	prog     *ssa.Program
	mains    map[string]*ssa.Package
	loadErr  error
)

// program loads all test programs at once and returns the SSA package of one.
func program(t *testing.T, name string) (*load.Program, *ssa.Package) {
	t.Helper()
	loadOnce.Do(func() {
		lp, loadErr = load.Load(context.Background(), load.Config{Patterns: []string{
			"./testdata/prune", "./testdata/noreflect", "./testdata/reflectall",
			"./testdata/reflectconst", "./testdata/link", "./testdata/constargs", "./testdata/higherorder",
			"./testdata/asmentry",
		}})
		if loadErr != nil {
			return
		}
		var pkgs []*ssa.Package
		prog, pkgs = ssautil.AllPackages(lp.Initial, ssa.InstantiateGenerics)
		prog.Build()
		mains = map[string]*ssa.Package{}
		for _, p := range pkgs {
			mains[strings.TrimPrefix(p.Pkg.Path(), base)] = p
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return lp, mains[name]
}

func analyze(t *testing.T, name string, runtimeRoots bool, extra ...string) (*reach.Result, *ssa.Package) {
	t.Helper()
	lp, main := program(t, name)
	res := reach.Analyze(main.Prog, reach.Options{
		Roots:          []*ssa.Function{main.Func("main"), main.Func("init")},
		ExtraRoots:     extra,
		Linknames:      lp.Linknames,
		Asm:            lp.Asm,
		NoRuntimeRoots: !runtimeRoots,
	})
	return res, main
}

func reachable(res *reach.Result, main *ssa.Package, names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		var f *ssa.Function
		if typ, meth, ok := strings.Cut(n, "."); ok {
			T := main.Type(typ).Type()
			f = main.Prog.LookupMethod(T, main.Pkg, meth)
		} else {
			f = main.Func(n)
		}
		out[n] = res.Reachable[f]
	}
	return out
}

func TestConstantBranchesPruned(t *testing.T) {
	res, main := analyze(t, "prune", false)
	got := reachable(res, main, "dead", "windowsOnly", "live")
	if got["dead"] || got["windowsOnly"] || !got["live"] {
		t.Errorf("reachable = %v, want only live", got)
	}
	if res.PrunedBlocks == 0 {
		t.Errorf("no blocks pruned")
	}
}

func TestReflectionRule(t *testing.T) {
	for _, tc := range []struct {
		name             string
		called, uncalled bool
		all              bool
	}{
		{"noreflect", true, false, false},    // only the interface call keeps a method
		{"reflectconst", true, false, false}, // a constant name keeps that name
		{"reflectall", true, true, true},     // a non-constant name keeps all exported methods
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, main := analyze(t, tc.name, false)
			got := reachable(res, main, "T.Called", "T.Uncalled")
			if got["T.Called"] != tc.called || got["T.Uncalled"] != tc.uncalled {
				t.Errorf("reachable = %v, want Called=%v Uncalled=%v", got, tc.called, tc.uncalled)
			}
			if (res.ReflectAll != nil) != tc.all {
				t.Errorf("ReflectAll = %v, want %v", res.ReflectAll, tc.all)
			}
		})
	}
}

func TestLinknameEdge(t *testing.T) {
	res, main := analyze(t, "link", false)
	stub := main.Func("nanotime")
	var found bool
	for _, e := range res.Edges {
		if e.Caller == stub && e.Kind == reach.Linkname && e.Callee.String() == "runtime.nanotime" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no linkname edge from %v to runtime.nanotime", stub)
	}
	// runtime.nanotime is a Go function calling the assembly nanotime1,
	// whose fallback is the clock_gettime system call (228).
	var asm []int
	for f, nrs := range res.AsmSyscalls {
		if f.String() == "runtime.nanotime1" {
			asm = nrs
		}
	}
	if !contains(asm, 228) {
		t.Errorf("runtime.nanotime1 assembly syscalls = %v, want clock_gettime (228)", asm)
	}
}

func TestRuntimeRoots(t *testing.T) {
	res, _ := analyze(t, "prune", true)
	for _, want := range []string{"runtime.main", "runtime.mstart", "runtime.schedinit"} {
		found := false
		for f := range res.Reachable {
			if f.String() == want {
				found = true
			}
		}
		if !found {
			t.Errorf("%s not reachable with runtime roots", want)
		}
	}
	// rt0_go (assembly) calls settls, which makes arch_prctl (158).
	var all []int
	for _, nrs := range res.AsmSyscalls {
		all = append(all, nrs...)
	}
	all = append(all, res.RuntimeAsm...)
	for _, nr := range []int{158, 202, 231} { // arch_prctl, futex, exit_group
		if !contains(all, nr) {
			t.Errorf("runtime assembly system calls lack %d", nr)
		}
	}
}

func TestConstArgs(t *testing.T) {
	res, main := analyze(t, "constargs", false)
	sink := main.Func("sink")
	var ints []string
	nonConst := 0
	for _, a := range res.ConstArgs([]reach.Param{{Func: sink, Index: 0}}) {
		if a.Value == nil {
			nonConst++
			continue
		}
		ints = append(ints, a.Value.ExactString())
	}
	sort.Strings(ints)
	if got, want := strings.Join(ints, ","), "1,1,2,3,4,7"; got != want {
		t.Errorf("constant values = %s, want %s", got, want)
	}
	if nonConst != 1 {
		// flexible is stored twice: 1 (constant) and flexible+1 (not).
		t.Errorf("%d non-constant values, want 1 (the variable that is incremented)", nonConst)
	}
	var strs []string
	for _, a := range res.ConstArgs([]reach.Param{{Func: sink, Index: 1}}) {
		if a.Value != nil && a.Value.Kind() == constant.String {
			strs = append(strs, constant.StringVal(a.Value))
		}
	}
	sort.Strings(strs)
	if got, want := strings.Join(strs, ","), "a,b,range,var,w"; got != want {
		t.Errorf("string values = %s, want %s", got, want)
	}
}

func TestPathStaticFirst(t *testing.T) {
	res, main := analyze(t, "noreflect", false)
	res.Refine()
	g := res.Graph(lp.Fset)
	id, ok := g.ID(main.Prog.LookupMethod(main.Type("T").Type(), main.Pkg, "Called"))
	if !ok {
		t.Fatal("T.Called not in graph")
	}
	p := g.PathTo(func(n int32) bool { return n == id })
	if len(p) != 2 || !strings.HasSuffix(p[0].Func, "noreflect.main") || p[1].Kind != "interface" {
		t.Errorf("path = %v, want main --interface--> T.Called", p)
	}
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestHigherOrder checks that a call of a function parameter calls only
// what each caller passes: RTA (by signature) and VTA (merging all callers
// of do) both make b reachable from main through do; after Refine, b is
// reached only through c, which nothing calls.
func TestHigherOrder(t *testing.T) {
	res, main := analyze(t, "higherorder", false)
	if !res.Reachable[main.Func("b")] {
		t.Fatalf("RTA does not reach b; the test no longer exercises the refinement")
	}
	res.Refine()
	g := res.Graph(lp.Fset)
	precise := g.PreciseReachable()
	id := func(name string) int32 {
		n, ok := g.ID(main.Func(name))
		if !ok {
			t.Fatalf("%s not in graph", name)
		}
		return n
	}
	if !precise[id("a")] || precise[id("b")] || precise[id("c")] {
		t.Errorf("precisely reachable: a=%v b=%v c=%v, want true false false",
			precise[id("a")], precise[id("b")], precise[id("c")])
	}
	p := g.PrecisePathTo(func(n int32) bool { return n == id("a") })
	if len(p) != 2 || p[1].Kind != "dynamic" || !strings.HasSuffix(p[1].Pos, "main.go:13:4") {
		t.Errorf("path to a = %v, want main --dynamic--> a at the do(a) call", p)
	}
}

// TestAssemblyEntries checks the roots that assembly provides: an
// assembly-only entry symbol given as an extra root, and an assembly
// function whose address Go code takes.
func TestAssemblyEntries(t *testing.T) {
	res, main := analyze(t, "asmentry", false)
	got := reachable(res, main, "goMain", "helper", "vec", "handler")
	if got["goMain"] || got["helper"] || !got["vec"] || !got["handler"] {
		t.Errorf("without the entry root: %v, want only vec and handler", got)
	}
	res, main = analyze(t, "asmentry", false, base+"asmentry.entry")
	got = reachable(res, main, "goMain", "helper")
	if !got["goMain"] || !got["helper"] {
		t.Errorf("with the entry root: %v, want goMain and helper", got)
	}
}
