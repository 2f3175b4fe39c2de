// This file refines RTA's dynamic edges with variable type analysis.

package reach

import (
	"strings"

	"golang.org/x/tools/go/callgraph"
	"golang.org/x/tools/go/callgraph/vta"
	"golang.org/x/tools/go/ssa"
)

// Refine runs variable type analysis (golang.org/x/tools/go/callgraph/vta)
// over the reachable functions, seeded with RTA's call graph, and demotes
// each dynamic or interface edge that VTA does not confirm to WeakDynamic or
// WeakInvoke. RTA's reachable set is unchanged (it stays the sound basis for
// the system call table); witness paths and diagnostics prefer the confirmed
// edges, so that a func() passed to sync.Once somewhere does not make every
// func() in the program a callee of every once.Do.
func (res *Result) Refine() {
	// The runtime is always live and is left out of VTA (a third of its
	// cost). Its dynamic calls within the runtime stay as they are; those
	// leaving it (through hooks such as poolcleanup, set by other packages)
	// are left unconfirmed.
	funcs := make(map[*ssa.Function]bool, len(res.Reachable))
	for f := range res.Reachable {
		if !inRuntime(f) {
			funcs[f] = true
		}
	}
	initial := &callgraph.Graph{Nodes: map[*ssa.Function]*callgraph.Node{}}
	for _, e := range res.Edges {
		if e.Site == nil || e.Kind == Reflect || !funcs[e.Caller] || !funcs[e.Callee] {
			continue
		}
		callgraph.AddEdge(initial.CreateNode(e.Caller), e.Site, initial.CreateNode(e.Callee))
	}
	vg := vta.CallGraph(funcs, initial)
	type key struct {
		site   ssa.CallInstruction
		callee *ssa.Function
	}
	confirmed := map[key]bool{}
	for _, n := range vg.Nodes {
		for _, e := range n.Out {
			confirmed[key{e.Site, e.Callee.Func}] = true
		}
	}
	for _, e := range res.Edges {
		if !funcs[e.Caller] {
			if funcs[e.Callee] { // runtime → program: unconfirmed
				switch e.Kind {
				case Dynamic:
					e.Kind = WeakDynamic
				case Invoke:
					e.Kind = WeakInvoke
				}
			}
			continue
		}
		switch e.Kind {
		case Dynamic:
			if !confirmed[key{e.Site, e.Callee}] {
				e.Kind = WeakDynamic
			}
		case Invoke:
			if !confirmed[key{e.Site, e.Callee}] {
				e.Kind = WeakInvoke
			}
		}
	}
	res.refineHigherOrder()
	res.Refined = true
}

// inRuntime reports whether f belongs to package runtime or
// internal/runtime/....
func inRuntime(f *ssa.Function) bool {
	if f.Pkg == nil {
		return false
	}
	p := f.Pkg.Pkg.Path()
	return p == "runtime" || strings.HasPrefix(p, "internal/runtime/")
}

// refineHigherOrder makes calls of function parameters context-sensitive.
//
// Type flow merges every function passed to a parameter: if os.newFile and
// os.checkPidfd both pass a closure to os.ignoringEINTR(fn), the call fn()
// inside seems to call both, whoever called ignoringEINTR; sync.Once.Do(f)
// passes f on to doSlow, which calls it. For a dynamic call of a parameter,
// when every function that can reach the parameter is known (passed as a
// function or closure, possibly through further parameters), the edges from
// the call are demoted and replaced by edges from each outermost call site
// to the function it passes: time.(*Location).get --dynamic--> time.initLocal
// at its once.Do call. For a dynamic call of a captured variable bound to a
// parameter (sync.OnceValue's f), the call keeps its site but calls only the
// functions passed to that parameter.
func (res *Result) refineHigherOrder() {
	in := res.inEdges()
	type origin struct {
		caller *ssa.Function
		site   ssa.CallInstruction
		fn     *ssa.Function
	}
	type result struct {
		origins []origin
		ok      bool
	}
	memo := map[Param]*result{}
	var originsOf func(p Param) ([]origin, bool)
	var valueOrigins func(owner *ssa.Function, site ssa.CallInstruction, v ssa.Value) ([]origin, bool)

	// closureBinding returns the value bound to free variable fv of fn.
	closureBinding := func(fn *ssa.Function, fv *ssa.FreeVar) (ssa.Value, *ssa.Function, bool) {
		idx := -1
		for i, x := range fn.FreeVars {
			if x == fv {
				idx = i
			}
		}
		parent := fn.Parent()
		if idx < 0 || parent == nil {
			return nil, nil, false
		}
		var bound ssa.Value
		n := 0
		for _, b := range parent.Blocks {
			for _, instr := range b.Instrs {
				if mc, ok := instr.(*ssa.MakeClosure); ok && mc.Fn == fn {
					bound = mc.Bindings[idx]
					n++
				}
			}
		}
		if n != 1 {
			return nil, nil, false
		}
		return bound, parent, true
	}
	valueOrigins = func(owner *ssa.Function, site ssa.CallInstruction, v ssa.Value) ([]origin, bool) {
		switch v := v.(type) {
		case *ssa.Function:
			return []origin{{owner, site, v}}, true
		case *ssa.MakeClosure:
			if fn, ok := v.Fn.(*ssa.Function); ok {
				return []origin{{owner, site, fn}}, true
			}
		case *ssa.Parameter:
			for i, p := range owner.Params {
				if p == v {
					return originsOf(Param{owner, i})
				}
			}
		case *ssa.FreeVar:
			bound, parent, ok := closureBinding(owner, v)
			if !ok {
				return nil, false
			}
			// The closure calls whatever is bound; where it was bound is
			// not a call, so the origins keep the given site.
			os, ok := valueOrigins(parent, site, bound)
			if !ok {
				return nil, false
			}
			out := make([]origin, len(os))
			for i, o := range os {
				out[i] = origin{owner, site, o.fn}
			}
			return out, true
		}
		return nil, false
	}
	originsOf = func(p Param) ([]origin, bool) {
		if r, ok := memo[p]; ok {
			return r.origins, r.ok // a cycle yields "unknown" (ok false) while in progress
		}
		r := &result{}
		memo[p] = r
		var all []origin
		for _, e := range in[p.Func] {
			if e.Kind == Reflect || e.Kind == ReflectCall {
				// What reflection passes is not modelled: a method kept by
				// the reflection rule would otherwise make every
				// parameter it forwards unknown.
				continue
			}
			if e.Site == nil {
				return nil, false
			}
			call := e.Site.Common()
			idx := p.Index
			if call.IsInvoke() {
				idx--
			}
			if idx < 0 || idx >= len(call.Args) {
				return nil, false
			}
			os, ok := valueOrigins(e.Caller, e.Site, call.Args[idx])
			if !ok {
				return nil, false
			}
			all = append(all, os...)
		}
		r.origins, r.ok = all, true
		return all, true
	}

	// Group the dynamic edges by call site.
	bySite := map[ssa.CallInstruction][]*Edge{}
	var sites []ssa.CallInstruction
	for _, e := range res.Edges {
		if (e.Kind == Dynamic || e.Kind == WeakDynamic) && e.Site != nil {
			if _, ok := bySite[e.Site]; !ok {
				sites = append(sites, e.Site)
			}
			bySite[e.Site] = append(bySite[e.Site], e)
		}
	}
	type key struct {
		site ssa.CallInstruction
		fn   *ssa.Function
	}
	added := map[key]bool{}
	var extra []*Edge
	for _, site := range sites {
		owner := site.Parent()
		var os []origin
		var ok bool
		switch v := site.Common().Value.(type) {
		case *ssa.Parameter, *ssa.FreeVar:
			os, ok = valueOrigins(owner, site, v)
		}
		if !ok {
			continue
		}
		for _, e := range bySite[site] {
			e.Kind = WeakDynamic
		}
		for _, o := range os {
			if !res.Reachable[o.fn] || !res.Reachable[o.caller] || added[key{o.site, o.fn}] {
				continue
			}
			added[key{o.site, o.fn}] = true
			extra = append(extra, &Edge{Caller: o.caller, Callee: o.fn, Site: o.site, Pos: o.site.Pos(), Kind: Dynamic})
		}
	}
	res.Edges = append(res.Edges, extra...)
	res.in = nil
}
