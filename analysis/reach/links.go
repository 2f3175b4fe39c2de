// This file adds the edges that SSA cannot see: //go:linkname and assembly.

package reach

import (
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/load"
	"golang.org/x/tools/go/ssa"
)

// asmClosure is what an assembly symbol reaches through assembly-only
// symbols: Go functions and constant system calls.
type asmClosure struct {
	funcs    []*ssa.Function
	syscalls []int
}

// setupLinks indexes the linkname directives and the assembly functions.
func (r *rta) setupLinks() {
	r.pushes = map[string]*ssa.Function{}
	r.pulls = map[*ssa.Function]string{}
	r.asmFuncs = map[string]*load.AsmFunc{}
	r.asmMemo = map[string]*asmClosure{}
	r.byName = map[string]*ssa.Function{}
	for _, ln := range r.opts.Linknames {
		if ln.Remote == "" {
			continue
		}
		f := r.funcBySym(ln.Pkg + "." + ln.Local)
		if f == nil {
			continue
		}
		if f.Blocks != nil {
			r.pushes[ln.Remote] = f
		} else {
			r.pulls[f] = ln.Remote
		}
	}
	for i := range r.opts.Asm {
		a := &r.opts.Asm[i]
		r.asmFuncs[a.Pkg+"."+a.Name] = a
	}
	if r.opts.NoRuntimeRoots {
		return
	}
	// The runtime's assembly-only symbols (rt0_go, the signal trampolines,
	// ...) are roots.
	var syms []string
	seen := map[*ssa.Function]bool{}
	for sym, a := range r.asmFuncs {
		if a.Pkg != "runtime" && !strings.HasPrefix(a.Pkg, "internal/runtime/") {
			continue
		}
		if f := r.funcBySym(sym); f == nil {
			syms = append(syms, sym)
		} else if runtimeAsmEntries[sym] && !seen[f] {
			seen[f] = true
			r.asmRoots = append(r.asmRoots, f)
		}
	}
	sort.Strings(syms)
	sort.Slice(r.asmRoots, func(i, j int) bool { return r.asmRoots[i].String() < r.asmRoots[j].String() })
	sc := map[int]bool{}
	for _, sym := range syms {
		c := r.asmClosureOf(sym)
		for _, f := range c.funcs {
			if !seen[f] {
				seen[f] = true
				r.asmRoots = append(r.asmRoots, f)
			}
		}
		for _, n := range c.syscalls {
			sc[n] = true
		}
	}
	for n := range sc {
		r.res.RuntimeAsm = append(r.res.RuntimeAsm, n)
	}
	sort.Ints(r.res.RuntimeAsm)
}

// hasAsm reports whether f is implemented in assembly.
func (r *rta) hasAsm(f *ssa.Function) bool {
	return f.Pkg != nil && f.Signature.Recv() == nil && r.asmFuncs[f.Pkg.Pkg.Path()+"."+f.Name()] != nil
}

// extraRoots resolves Options.ExtraRoots: Go functions are roots; for an
// assembly-only symbol, the Go functions its assembly reaches are, and its
// system calls are recorded with the runtime's.
func (r *rta) extraRoots() []*ssa.Function {
	var roots []*ssa.Function
	for _, sym := range r.opts.ExtraRoots {
		if f := r.funcBySym(sym); f != nil {
			roots = append(roots, f)
			continue
		}
		if r.asmFuncs[sym] == nil {
			continue
		}
		c := r.asmClosureOf(sym)
		roots = append(roots, c.funcs...)
		r.res.RuntimeAsm = append(r.res.RuntimeAsm, c.syscalls...)
	}
	return roots
}

// runtimeAsmEntries are the runtime's assembly functions that have a Go
// declaration but are entered from outside Go: by the boot loader, the
// kernel (signals), or code the compiler and linker insert.
var runtimeAsmEntries = map[string]bool{
	"runtime.rt0_go":               true,
	"runtime.mstart":               true,
	"runtime.sigtramp":             true,
	"runtime.cgoSigtramp":          true,
	"runtime.sigreturn__sigaction": true,
	"runtime.morestack":            true,
	"runtime.morestack_noctxt":     true,
	"runtime.asyncPreempt":         true,
	"runtime.goexit":               true,
	"runtime.debugCallV2":          true,
	"runtime.gcWriteBarrier1":      true,
	"runtime.gcWriteBarrier2":      true,
	"runtime.gcWriteBarrier3":      true,
	"runtime.gcWriteBarrier4":      true,
	"runtime.gcWriteBarrier5":      true,
	"runtime.gcWriteBarrier6":      true,
	"runtime.gcWriteBarrier7":      true,
	"runtime.gcWriteBarrier8":      true,
}

// funcBySym returns the package-level function or method declared under
// a linker symbol such as "runtime.nanotime1" or "net.(*conn).Read".
func (r *rta) funcBySym(sym string) *ssa.Function {
	if f, ok := r.byName[sym]; ok {
		return f
	}
	var f *ssa.Function
	pkgPath, name := load.SplitSymbol(sym)
	if p := r.prog.ImportedPackage(pkgPath); p != nil {
		if recv, meth, ok := strings.Cut(name, "."); ok {
			ptr := strings.HasPrefix(recv, "(*")
			recv = strings.TrimSuffix(strings.TrimPrefix(recv, "(*"), ")")
			if t, ok := p.Members[recv].(*ssa.Type); ok && !isGeneric(t.Type()) {
				T := t.Type()
				if ptr {
					T = types.NewPointer(T)
				}
				if r.prog.MethodSets.MethodSet(T).Lookup(p.Pkg, meth) != nil {
					f = r.prog.LookupMethod(T, p.Pkg, meth)
				}
			}
		} else if fn, ok := p.Members[name].(*ssa.Function); ok {
			f = fn
		}
	}
	r.byName[sym] = f
	return f
}

// isGeneric reports whether T is a generic named type (whose methods have
// no single SSA function).
func isGeneric(T types.Type) bool {
	n, ok := types.Unalias(T).(*types.Named)
	return ok && n.TypeParams().Len() > 0
}

// asmClosureOf returns the Go functions and system calls reachable from the
// assembly of sym through assembly-only symbols.
func (r *rta) asmClosureOf(sym string) *asmClosure {
	if c, ok := r.asmMemo[sym]; ok {
		return c
	}
	c := &asmClosure{}
	r.asmMemo[sym] = c // breaks cycles
	a := r.asmFuncs[sym]
	if a == nil {
		return c
	}
	seenF := map[*ssa.Function]bool{}
	seenS := map[int]bool{}
	add := func(fs []*ssa.Function, ss []int) {
		for _, f := range fs {
			if !seenF[f] {
				seenF[f] = true
				c.funcs = append(c.funcs, f)
			}
		}
		for _, n := range ss {
			if !seenS[n] {
				seenS[n] = true
				c.syscalls = append(c.syscalls, n)
			}
		}
	}
	add(nil, a.Syscalls)
	for _, ref := range a.Refs {
		if ref == sym {
			continue
		}
		if f := r.funcBySym(ref); f != nil {
			add([]*ssa.Function{f}, nil)
		} else if r.asmFuncs[ref] != nil {
			sub := r.asmClosureOf(ref)
			add(sub.funcs, sub.syscalls)
		}
	}
	return c
}

// visitBodyless adds the edges of a function without an SSA body: to the body
// linked under its symbol, and to what its assembly refers to.
func (r *rta) visitBodyless(f *ssa.Function) {
	if f.Pkg == nil || f.Signature.Recv() != nil && f.Synthetic != "" {
		return
	}
	own := f.Pkg.Pkg.Path() + "." + f.Name()
	sym := own
	if s, ok := r.pulls[f]; ok {
		sym = s
	}
	pos := f.Pos()
	if g := r.pushes[sym]; g != nil && g != f {
		r.edge(f, nil, g, Linkname, pos)
	} else if sym != own {
		if g := r.funcBySym(sym); g != nil && g != f && g.Blocks != nil {
			r.edge(f, nil, g, Linkname, pos)
		}
	}
	for _, s := range []string{own, sym} {
		if r.asmFuncs[s] == nil {
			continue
		}
		c := r.asmClosureOf(s)
		for _, g := range c.funcs {
			if g != f {
				r.edge(f, nil, g, Asm, asmPos(r.asmFuncs[s]))
			}
		}
		if len(c.syscalls) > 0 {
			r.res.AsmSyscalls[f] = append(r.res.AsmSyscalls[f], c.syscalls...)
		}
		if s == sym {
			break
		}
	}
}

// asmPos returns no position: assembly files are not in the FileSet.
func asmPos(*load.AsmFunc) token.Pos { return token.NoPos }
