// This file implements the compact call graph kept after SSA is dropped, and
// witness paths over it.

package reach

import (
	"fmt"
	"go/token"
	"sort"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// A Graph is the reachable call graph in a compact, SSA-free form: nodes are
// functions named as go/ssa prints them, sorted by name, so that every query
// is deterministic.
type Graph struct {
	fset  *token.FileSet
	names []string
	pkgs  []string
	out   [][]gedge
	roots [][]int32 // root groups, searched in order
	ids   map[string]int32
	fns   map[*ssa.Function]int32 // dropped by DropSSA
}

type gedge struct {
	to   int32
	kind EdgeKind
	pos  token.Pos
}

// A Step is one function on a call path. Kind and Pos describe the edge from
// the previous step (empty for the root); Pos is the call's position in the
// previous step's function as file:line:col, or "" when it has none
// (linkname, assembly and reflection edges).
type Step struct {
	Func string `json:"func"`
	Kind string `json:"kind,omitempty"`
	Pos  string `json:"pos,omitempty"`
}

// A Path is a call path from a root.
type Path []Step

// Unconfirmed returns the index of the first step of p whose edge type flow did not confirm (a
// dynamic or interface call that RTA finds but VTA does not, or a reflect.Value.Call: see
// EdgeKind.IsPrecise), or -1 when every edge of p is static or confirmed.
func (p Path) Unconfirmed() int {
	for i, s := range p {
		if i > 0 && isUnconfirmed(s.Kind) {
			return i
		}
	}
	return -1
}

// isUnconfirmed reports whether kind, an EdgeKind's String, is an edge that type flow did not
// confirm.
func isUnconfirmed(kind string) bool {
	for k := WeakDynamic; k < Root; k++ {
		if !k.IsPrecise() && k.String() == kind {
			return true
		}
	}
	return false
}

// String formats p one step per line, each after the first indented and
// marked with the kind of its edge:
//
//	example.com/app.main
//		--static--> os/exec.(*Cmd).Run (main.go:12:9)
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 {
			fmt.Fprintf(&b, "\n\t--%s--> ", s.Kind)
		}
		b.WriteString(s.Func)
		if s.Pos != "" {
			fmt.Fprintf(&b, " (%s)", s.Pos)
		}
	}
	return b.String()
}

// Graph returns the compact graph of the result.
func (res *Result) Graph(fset *token.FileSet) *Graph {
	g := &Graph{fset: fset, ids: map[string]int32{}, fns: map[*ssa.Function]int32{}}
	fns := make([]*ssa.Function, 0, len(res.Reachable))
	names := make(map[*ssa.Function]string, len(res.Reachable))
	for f := range res.Reachable {
		fns = append(fns, f)
		names[f] = f.String()
	}
	sort.Slice(fns, func(i, j int) bool {
		a, b := names[fns[i]], names[fns[j]]
		if a != b {
			return a < b
		}
		return fns[i].Pos() < fns[j].Pos()
	})
	for i, f := range fns {
		name := names[f]
		if _, dup := g.ids[name]; dup {
			name = name + "#" + itoa(i)
		}
		g.ids[name] = int32(i)
		g.fns[f] = int32(i)
		g.names = append(g.names, name)
		pkg := ""
		if f.Pkg != nil {
			pkg = f.Pkg.Pkg.Path()
		} else if o := f.Origin(); o != nil && o.Pkg != nil {
			pkg = o.Pkg.Pkg.Path()
		}
		g.pkgs = append(g.pkgs, pkg)
	}
	g.out = make([][]gedge, len(fns))
	for _, e := range res.Edges {
		from, ok1 := g.fns[e.Caller]
		to, ok2 := g.fns[e.Callee]
		if ok1 && ok2 {
			g.out[from] = append(g.out[from], gedge{to, e.Kind, e.Pos})
		}
	}
	for i := range g.out {
		es := g.out[i]
		sort.Slice(es, func(a, b int) bool {
			if es[a].kind != es[b].kind {
				return es[a].kind < es[b].kind
			}
			if es[a].to != es[b].to {
				return es[a].to < es[b].to
			}
			return es[a].pos < es[b].pos
		})
		// Remove duplicates.
		w := 0
		for j, e := range es {
			if j > 0 && e.to == es[w-1].to && e.kind == es[w-1].kind && e.pos == es[w-1].pos {
				continue
			}
			es[w] = e
			w++
		}
		g.out[i] = es[:w]
	}
	var rt []int32
	for i, f := range res.Roots {
		if id, ok := g.fns[f]; ok {
			if i < res.NumUserRoots {
				g.roots = append(g.roots, []int32{id})
			} else {
				rt = append(rt, id)
			}
		}
	}
	if len(rt) > 0 {
		g.roots = append(g.roots, rt) // the runtime's roots form one group
	}
	return g
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[n:])
}

// DropSSA forgets the SSA functions, so that the program can be collected.
func (g *Graph) DropSSA() { g.fns = nil }

// Len returns the number of reachable functions.
func (g *Graph) Len() int { return len(g.names) }

// Name returns the name of node id.
func (g *Graph) Name(id int32) string { return g.names[id] }

// Pkg returns the package path of node id ("" for some synthetic functions).
func (g *Graph) Pkg(id int32) string { return g.pkgs[id] }

// Lookup returns the node of a function name as go/ssa prints it.
func (g *Graph) Lookup(name string) (int32, bool) {
	id, ok := g.ids[name]
	return id, ok
}

// ID returns the node of an SSA function (before DropSSA).
func (g *Graph) ID(f *ssa.Function) (int32, bool) {
	id, ok := g.fns[f]
	return id, ok
}

// Position formats a position as file:line:col ("" for none).
func (g *Graph) Position(pos token.Pos) string {
	if !pos.IsValid() {
		return ""
	}
	return g.fset.Position(pos).String()
}

// Without returns a copy of g in which no edge enters a node for which drop returns true: the
// paths that go through those nodes are gone.
func (g *Graph) Without(drop func(id int32) bool) *Graph {
	h := *g
	h.out = make([][]gedge, len(g.out))
	for i, es := range g.out {
		for _, e := range es {
			if !drop(e.to) {
				h.out[i] = append(h.out[i], e)
			}
		}
	}
	return &h
}

// PathTo returns a shortest path from a root to any node for which target
// returns true, preferring static edges, then edges confirmed by type flow
// (see Result.Refine), then any edges; roots are tried in order. It returns
// nil if no target is reachable.
func (g *Graph) PathTo(target func(id int32) bool) Path {
	ids, edges := g.search(g.roots, target, allEdges)
	if ids == nil {
		return nil
	}
	return g.path(ids, edges)
}

// PrecisePathTo is PathTo without the edges that type flow did not confirm.
func (g *Graph) PrecisePathTo(target func(id int32) bool) Path {
	ids, edges := g.search(g.roots, target, preciseEdges)
	if ids == nil {
		return nil
	}
	return g.path(ids, edges)
}

// PathFrom is PrecisePathTo starting at node from instead of the roots.
func (g *Graph) PathFrom(from int32, target func(id int32) bool) Path {
	ids, edges := g.search([][]int32{{from}}, target, preciseEdges)
	if ids == nil {
		return nil
	}
	return g.path(ids, edges)
}

// StaticPathFrom is PathFrom over static edges only.
func (g *Graph) StaticPathFrom(from int32, target func(id int32) bool) Path {
	ids, edges := g.search([][]int32{{from}}, target, staticEdges)
	if ids == nil {
		return nil
	}
	return g.path(ids, edges)
}

func (g *Graph) path(ids []int32, edges []gedge) Path {
	p := make(Path, len(ids))
	for i, id := range ids {
		p[i].Func = g.names[id]
		if i > 0 {
			p[i].Kind = edges[i-1].kind.String()
			p[i].Pos = g.Position(edges[i-1].pos)
		}
	}
	return p
}

// Edge classes searched in turn.
const (
	staticEdges  = iota // static, linkname, asm
	preciseEdges        // and confirmed dynamic, interface and reflection-rule edges
	allEdges            // and RTA-only edges
)

// search is a breadth-first search in phases: static edges, precise edges,
// all edges.
func (g *Graph) search(roots [][]int32, target func(int32) bool, max int) ([]int32, []gedge) {
	for class := staticEdges; class <= max; class++ {
		for _, root := range roots {
			if ids, es := g.bfs(root, target, class); ids != nil {
				return ids, es
			}
		}
	}
	return nil, nil
}

func (g *Graph) allowed(k EdgeKind, class int) bool {
	switch class {
	case staticEdges:
		return k.IsStatic()
	case preciseEdges:
		return k.IsPrecise()
	}
	return true
}

func (g *Graph) bfs(roots []int32, target func(int32) bool, class int) ([]int32, []gedge) {
	type pred struct {
		from int32
		e    gedge
	}
	seen := map[int32]pred{}
	queue := []int32{}
	for _, r := range roots {
		if _, ok := seen[r]; !ok {
			seen[r] = pred{from: -1}
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if target(n) {
			var ids []int32
			var es []gedge
			for n != -1 {
				p := seen[n]
				ids = append(ids, n)
				if p.from != -1 {
					es = append(es, p.e)
				}
				n = p.from
			}
			reverse(ids)
			reverse(es)
			return ids, es
		}
		for _, e := range g.out[n] {
			if !g.allowed(e.kind, class) {
				continue
			}
			if _, ok := seen[e.to]; !ok {
				seen[e.to] = pred{n, e}
				queue = append(queue, e.to)
			}
		}
	}
	return nil, nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// PreciseReachable returns the set of nodes reachable from the roots over
// precise edges (static, and dynamic ones that type flow confirms).
func (g *Graph) PreciseReachable() []bool {
	mark := make([]bool, len(g.out))
	var stack []int32
	for _, group := range g.roots {
		for _, r := range group {
			if !mark[r] {
				mark[r] = true
				stack = append(stack, r)
			}
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range g.out[n] {
			if e.kind.IsPrecise() && !mark[e.to] {
				mark[e.to] = true
				stack = append(stack, e.to)
			}
		}
	}
	return mark
}

// Reaching returns the set of nodes from which a target node can be reached
// (including the targets) over static edges only (staticOnly) or over
// precise edges.
func (g *Graph) Reaching(target func(int32) bool, staticOnly bool) []bool {
	in := make([][]int32, len(g.out))
	for from, es := range g.out {
		for _, e := range es {
			if e.kind.IsStatic() || !staticOnly && e.kind.IsPrecise() {
				in[e.to] = append(in[e.to], int32(from))
			}
		}
	}
	mark := make([]bool, len(g.out))
	var stack []int32
	for id := range g.out {
		if target(int32(id)) {
			mark[id] = true
			stack = append(stack, int32(id))
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range in[n] {
			if !mark[p] {
				mark[p] = true
				stack = append(stack, p)
			}
		}
	}
	return mark
}

// OutEdge is an exported view of an edge, for callers that enumerate sites.
type OutEdge struct {
	To   int32
	Kind EdgeKind
	Pos  token.Pos
}

// Out returns the edges leaving node id, static edges first.
func (g *Graph) Out(id int32) []OutEdge {
	es := make([]OutEdge, len(g.out[id]))
	for i, e := range g.out[id] {
		es[i] = OutEdge{e.to, e.kind, e.pos}
	}
	return es
}
