// This file refines RTA's dynamic edges with variable type analysis.

package reach

import (
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
	initial := &callgraph.Graph{Nodes: map[*ssa.Function]*callgraph.Node{}}
	for _, e := range res.Edges {
		if e.Site == nil || e.Kind == Reflect {
			continue
		}
		callgraph.AddEdge(initial.CreateNode(e.Caller), e.Site, initial.CreateNode(e.Callee))
	}
	vg := vta.CallGraph(res.Reachable, initial)
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
	res.refineWrappers()
	res.Refined = true
}

// A wrapper is a function that calls a func-typed parameter, possibly
// through helpers: type flow merges the functions passed at all of its call
// sites, so every once.Do(f) would seem to call every f in the program.
// Refine models each call of a wrapper as a direct call of the function
// passed to it, when every reachable call passes a function or closure.
type wrapper struct {
	fn       string   // linker-style symbol
	param    int      // index of the func parameter (receivers count)
	internal []string // functions whose dynamic calls call the parameter
}

var wrappers = []wrapper{
	{"sync.(*Once).Do", 1, []string{"sync.(*Once).Do", "sync.(*Once).doSlow"}},
}

// refineWrappers applies the wrapper model; it runs after VTA.
func (res *Result) refineWrappers() {
	in := res.inEdges()
	for _, w := range wrappers {
		fn := Func(res.Prog, w.fn)
		if fn == nil || !res.Reachable[fn] {
			continue
		}
		type direct struct {
			caller, callee *ssa.Function
			site           ssa.CallInstruction
		}
		var edges []direct
		known := true
		for _, e := range in[fn] {
			if e.Kind == Reflect || e.Kind == ReflectCall {
				continue // arguments passed by reflection are not modelled
			}
			if e.Site == nil {
				known = false
				break
			}
			args := e.Site.Common().Args
			idx := w.param
			if e.Site.Common().IsInvoke() {
				idx--
			}
			if idx < 0 || idx >= len(args) {
				known = false
				break
			}
			var callee *ssa.Function
			switch v := args[idx].(type) {
			case *ssa.Function:
				callee = v
			case *ssa.MakeClosure:
				callee, _ = v.Fn.(*ssa.Function)
			}
			if callee == nil || !res.Reachable[callee] {
				known = false
				break
			}
			edges = append(edges, direct{e.Caller, callee, e.Site})
		}
		if !known {
			continue
		}
		internal := map[*ssa.Function]bool{}
		for _, sym := range w.internal {
			if f := Func(res.Prog, sym); f != nil {
				internal[f] = true
			}
		}
		for _, e := range res.Edges {
			if e.Kind == Dynamic && internal[e.Caller] {
				e.Kind = WeakDynamic
			}
		}
		for _, d := range edges {
			res.Edges = append(res.Edges, &Edge{Caller: d.caller, Callee: d.callee, Site: d.site, Pos: d.site.Pos(), Kind: Dynamic})
		}
		res.in = nil
		in = res.inEdges()
	}
}
