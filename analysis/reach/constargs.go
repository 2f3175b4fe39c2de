// This file implements a small interprocedural constant-argument analysis
// over the reachable call graph, used for system call numbers and network
// names.

package reach

import (
	"go/constant"
	"go/token"
	"sort"

	"golang.org/x/tools/go/ssa"
)

// A Param names one parameter of a function (receivers count: a method's
// receiver is parameter 0, as in ssa.Function.Params).
type Param struct {
	Func  *ssa.Function
	Index int
}

// An ArgValue is a value that reaches one of the watched parameters.
type ArgValue struct {
	// Value is the constant, or nil if the argument is not a constant.
	Value constant.Value
	// Caller is the function holding the call; Site is the call (nil for
	// the edges without a call instruction); Pos is its position.
	Caller *ssa.Function
	Site   ssa.CallInstruction
	Pos    token.Pos
	// Callee is the function called at the site; Entry is the watched
	// function the value flows into (Callee itself or one that Callee
	// passes the parameter on to).
	Callee, Entry *ssa.Function
}

// ConstArgs finds the values passed to the given parameters at reachable call
// sites. An argument that is a parameter of its caller makes that parameter
// watched too, so wrappers are seen through (syscall.Syscall passes its trap
// number to RawSyscall6, which passes it to internal/runtime/syscall/linux's
// Syscall6); so do φ-nodes and conversions. Calls through reflection are not
// followed. The result is sorted by position.
func (res *Result) ConstArgs(params []Param) []ArgValue {
	in := res.inEdges()
	type item struct {
		p     Param
		entry *ssa.Function
	}
	var out []ArgValue
	done := map[Param]bool{}
	var work []item
	push := func(p Param, entry *ssa.Function) {
		if p.Func != nil && !done[p] {
			done[p] = true
			work = append(work, item{p, entry})
		}
	}
	for _, p := range params {
		push(p, p.Func)
	}
	for len(work) > 0 {
		it := work[0]
		work = work[1:]
		for _, e := range in[it.p.Func] {
			switch e.Kind {
			case Linkname, Asm:
				// A bodyless stub passes its arguments on unchanged (an
				// Asm edge from a function with a body takes an address).
				if e.Caller.Blocks == nil {
					push(Param{e.Caller, it.p.Index}, it.entry)
				}
				continue
			}
			if e.Site == nil {
				continue // reflection and roots: arguments unknown
			}
			call := e.Site.Common()
			idx := it.p.Index
			if call.IsInvoke() {
				idx-- // Args exclude the receiver
			}
			if idx < 0 || idx >= len(call.Args) {
				continue
			}
			seen := map[ssa.Value]bool{}
			var resolve func(v ssa.Value)
			resolve = func(v ssa.Value) {
				if seen[v] {
					return
				}
				seen[v] = true
				switch v := v.(type) {
				case *ssa.Const:
					out = append(out, ArgValue{Value: v.Value, Caller: e.Caller, Site: e.Site, Pos: e.Pos, Callee: e.Callee, Entry: it.entry})
					return
				case *ssa.Parameter:
					for i, p := range e.Caller.Params {
						if p == v {
							push(Param{e.Caller, i}, it.entry)
							return
						}
					}
				case *ssa.Phi:
					for _, x := range v.Edges {
						resolve(x)
					}
					return
				case *ssa.Convert:
					resolve(v.X)
					return
				case *ssa.ChangeType:
					resolve(v.X)
					return
				case *ssa.UnOp:
					if v.Op == token.MUL {
						if vals, ok := res.loaded(v.X); ok {
							for _, x := range vals {
								resolve(x)
							}
							return
						}
					}
				}
				out = append(out, ArgValue{Caller: e.Caller, Site: e.Site, Pos: e.Pos, Callee: e.Callee, Entry: it.entry})
			}
			resolve(call.Args[idx])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pos < out[j].Pos })
	return out
}

// loaded returns the values that a load from addr can yield, when they are
// all known: a package variable stored only in live code and whose address
// does not escape, or an element of a slice literal (or a φ of them) whose
// elements are stored only by the literal.
func (res *Result) loaded(addr ssa.Value) ([]ssa.Value, bool) {
	switch a := addr.(type) {
	case *ssa.Global:
		if res.globalEscapes[a] || len(res.globalStores[a]) == 0 {
			return nil, false
		}
		return res.globalStores[a], true
	case *ssa.IndexAddr:
		return res.elems(a.X, map[ssa.Value]bool{})
	}
	return nil, false
}

// elems returns the values stored into the elements of a slice literal.
func (res *Result) elems(x ssa.Value, seen map[ssa.Value]bool) ([]ssa.Value, bool) {
	if seen[x] {
		return nil, true
	}
	seen[x] = true
	switch x := x.(type) {
	case *ssa.Phi:
		var all []ssa.Value
		for _, e := range x.Edges {
			vals, ok := res.elems(e, seen)
			if !ok {
				return nil, false
			}
			all = append(all, vals...)
		}
		return all, true
	case *ssa.Slice:
		alloc, ok := x.X.(*ssa.Alloc)
		if !ok {
			return nil, false
		}
		var vals []ssa.Value
		for _, ref := range *alloc.Referrers() {
			switch ref := ref.(type) {
			case *ssa.IndexAddr:
				for _, r2 := range *ref.Referrers() {
					switch r2 := r2.(type) {
					case *ssa.Store:
						vals = append(vals, r2.Val)
					case *ssa.UnOp:
					default:
						return nil, false
					}
				}
			case *ssa.Slice:
				if ref != x {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		return vals, true
	}
	return nil, false
}

// inEdges indexes the edges by callee.
func (res *Result) inEdges() map[*ssa.Function][]*Edge {
	if res.in == nil {
		res.in = map[*ssa.Function][]*Edge{}
		for _, e := range res.Edges {
			res.in[e.Callee] = append(res.in[e.Callee], e)
		}
	}
	return res.in
}

// Func returns the package-level function or method named by a linker-style
// symbol ("syscall.Syscall", "net.(*Dialer).DialContext"), or nil.
func Func(prog *ssa.Program, sym string) *ssa.Function {
	r := &rta{prog: prog, byName: map[string]*ssa.Function{}}
	return r.funcBySym(sym)
}
