// This file implements the modular check as a go/analysis Analyzer.

package unsupported

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/syscalls"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// Analyzer reports calls that lead, through static calls, to an API that a
// unikernel cannot provide, and imports of "C".
var Analyzer = &analysis.Analyzer{
	Name:      "unikernel",
	Doc:       analyzerDoc,
	URL:       "https://github.com/unikgen/unikgen/tree/main/analysis/unsupported",
	Run:       run,
	FactTypes: []analysis.Fact{new(Reaches)},
}

const analyzerDoc = `report uses of APIs that a unikgen unikernel cannot provide

A unikernel runs one Go program in one address space: it cannot create,
wait for or trace processes (os.StartProcess, os/exec, syscall.ForkExec,
syscall.Exec, ptrace), load plugins, or link C code (cgo). This analyzer
reports each call that reaches such an API through static calls, with the
chain of calls, and each import of "C".

It is modular: calls through interfaces and func values are not followed and
constant conditions are not pruned. "unikgen explain" runs the whole-program
analysis, which does both.`

// Reaches is the fact exported for a function that reaches unsupported APIs
// through static calls: for each category, the chain of calls that leads
// there (the first element is the callee at the function's call).
type Reaches struct {
	Uses []Use
}

// A Use is one category reached, with its call chain.
type Use struct {
	Category string
	Chain    []string // functions, as linker-style symbols; the last is the API
}

// AFact marks Reaches as a fact.
func (*Reaches) AFact() {}

func (r *Reaches) String() string {
	var parts []string
	for _, u := range r.Uses {
		parts = append(parts, u.Category+": "+strings.Join(u.Chain, " -> "))
	}
	return "reaches(" + strings.Join(parts, "; ") + ")"
}

// maxChain bounds the chains kept in facts and messages.
const maxChain = 8

// callSite is one static call in a function body. A system call entry
// point called with a constant unsupported number is a use by itself: then
// direct holds its category and chain.
type callSite struct {
	callee *types.Func
	pos    token.Pos
	direct []Use
}

// syscallEntries are the functions whose first argument is a system call
// number, for the modular check.
var syscallEntries = map[string]bool{
	"syscall.Syscall": true, "syscall.Syscall6": true, "syscall.RawSyscall": true, "syscall.RawSyscall6": true,
	"golang.org/x/sys/unix.Syscall": true, "golang.org/x/sys/unix.Syscall6": true,
	"golang.org/x/sys/unix.RawSyscall": true, "golang.org/x/sys/unix.RawSyscall6": true,
	"golang.org/x/sys/unix.SyscallNoError": true, "golang.org/x/sys/unix.RawSyscallNoError": true,
}

func run(pass *analysis.Pass) (any, error) {
	apis := map[string]string{}  // symbol -> category
	sysnrs := map[int64]string{} // system call number -> category
	for _, cat := range Table {
		for _, f := range cat.Funcs {
			apis[f] = cat.Name
		}
		for _, n := range cat.Sysnrs {
			if nr, ok := syscalls.Number(n); ok {
				sysnrs[int64(nr)] = cat.Name
			}
		}
	}

	for _, pos := range cgoImports(pass) {
		pass.Reportf(pos, "unikernel: package %s uses cgo: %s is not possible in a unikernel",
			pass.Pkg.Path(), category("cgo").What)
	}

	// The static calls of each function declared in the package. Calls in
	// function literals belong to the enclosing declaration; calls in
	// package-level initialisers belong to nil (the package initialiser).
	var order []*types.Func
	calls := map[*types.Func][]callSite{}
	collect := func(owner *types.Func, n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn := typeutil.StaticCallee(pass.TypesInfo, call); fn != nil {
				cs := callSite{callee: fn.Origin(), pos: call.Lparen}
				if sym := Symbol(fn); syscallEntries[sym] && len(call.Args) > 0 {
					if tv, ok := pass.TypesInfo.Types[call.Args[0]]; ok && tv.Value != nil {
						if nr, ok := constant.Int64Val(constant.ToInt(tv.Value)); ok {
							if cat, ok := sysnrs[nr]; ok {
								cs.direct = []Use{{Category: cat, Chain: []string{sym + "(SYS_" + strings.ToUpper(syscalls.Name(int(nr))) + ")"}}}
							}
						}
					}
				}
				calls[owner] = append(calls[owner], cs)
			}
			return true
		})
	}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				fn, _ := pass.TypesInfo.Defs[d.Name].(*types.Func)
				if fn == nil || d.Body == nil {
					continue
				}
				order = append(order, fn)
				collect(fn, d.Body)
			case *ast.GenDecl:
				collect(nil, d)
			}
		}
	}

	// uses returns what calling fn reaches: the API itself, or fn's fact.
	local := map[*types.Func]*Reaches{}
	usesOf := func(fn *types.Func) []Use {
		sym := Symbol(fn)
		if cat, ok := apis[sym]; ok {
			return []Use{{Category: cat, Chain: []string{sym}}}
		}
		if r := local[fn]; r != nil {
			return prefix(sym, r.Uses)
		}
		if fn.Pkg() != nil && fn.Pkg() != pass.Pkg {
			var r Reaches
			if pass.ImportObjectFact(fn, &r) {
				return prefix(sym, r.Uses)
			}
		}
		return nil
	}
	// Fixpoint over the package's functions, in source order.
	for changed := true; changed; {
		changed = false
		for _, fn := range order {
			r := local[fn]
			have := map[string]bool{}
			if r != nil {
				for _, u := range r.Uses {
					have[u.Category] = true
				}
			}
			for _, c := range calls[fn] {
				for _, u := range append(c.direct, usesOf(c.callee)...) {
					if have[u.Category] {
						continue
					}
					if r == nil {
						r = &Reaches{}
						local[fn] = r
					}
					have[u.Category] = true
					r.Uses = append(r.Uses, u)
					changed = true
				}
			}
			if r != nil {
				sortUses(r.Uses)
			}
		}
	}
	for _, fn := range order {
		if r := local[fn]; r != nil {
			pass.ExportObjectFact(fn, r)
		}
	}

	// Report each call that reaches an unsupported API, for the first
	// category in Table order.
	owners := append([]*types.Func{nil}, order...)
	for _, owner := range owners {
		for _, c := range calls[owner] {
			uses := append(c.direct, usesOf(c.callee)...)
			if len(uses) == 0 {
				continue
			}
			u := uses[0]
			api := u.Chain[len(u.Chain)-1]
			what := category(u.Category).What
			if len(u.Chain) == 1 {
				pass.Reportf(c.pos, "unikernel: call of %s: %s is not possible in a unikernel", api, what)
			} else {
				pass.Reportf(c.pos, "unikernel: call of %s reaches %s: %s is not possible in a unikernel (%s)",
					u.Chain[0], api, what, strings.Join(u.Chain, " -> "))
			}
		}
	}
	return nil, nil
}

// prefix prepends sym to each chain, bounding its length.
func prefix(sym string, uses []Use) []Use {
	out := make([]Use, len(uses))
	for i, u := range uses {
		chain := append([]string{sym}, u.Chain...)
		if len(chain) > maxChain {
			chain = append(chain[:maxChain-2], "...", chain[len(chain)-1])
		}
		out[i] = Use{Category: u.Category, Chain: chain}
	}
	return out
}

// sortUses orders uses by their category's place in Table.
func sortUses(uses []Use) {
	rank := map[string]int{}
	for i, c := range Table {
		rank[c.Name] = i
	}
	sort.SliceStable(uses, func(i, j int) bool { return rank[uses[i].Category] < rank[uses[j].Category] })
}

// Symbol returns the linker-style name of a function: "os.StartProcess",
// "os.(*Process).Wait", "plugin.(*Plugin).Lookup".
func Symbol(fn *types.Func) string {
	pkg := ""
	if fn.Pkg() != nil {
		pkg = fn.Pkg().Path()
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return pkg + "." + fn.Name()
	}
	t := sig.Recv().Type()
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), true
	}
	name := ""
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		name = t.Obj().Name()
	default:
		name = fmt.Sprint(t)
	}
	if ptr {
		return fmt.Sprintf("%s.(*%s).%s", pkg, name, fn.Name())
	}
	return fmt.Sprintf("%s.%s.%s", pkg, name, fn.Name())
}
