// This file implements the whole-program check.

package unsupported

import (
	"fmt"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/load"
	"github.com/unikgen/unikgen/analysis/reach"
	"github.com/unikgen/unikgen/analysis/syscalls"
)

// A Diagnostic is one reachable use of an unsupported API.
type Diagnostic struct {
	// Pos is the file:line:col of the call in the user's module.
	Pos string `json:"pos"`
	// Category is the Table category; API the unsupported function that
	// the call reaches first.
	Category string `json:"category"`
	API      string `json:"api"`
	Message  string `json:"message"`
	// Path is a shortest call path from a root through the call to API.
	Path reach.Path `json:"path,omitempty"`
}

// String formats d as go vet does, with the path indented below.
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s", d.Pos, d.Message)
	if len(d.Path) > 0 {
		s += "\n\t" + d.Path.String()
	}
	return s
}

// Check reports the reachable uses of unsupported APIs. module is the user's
// module path (or, outside a module, the main package's path); sites are the
// program's system call sites; cgo the ignored cgo files.
func Check(res *reach.Result, g *reach.Graph, sites []syscalls.Site, module string, cgo []load.CgoUse) []Diagnostic {
	isUser := func(id int32) bool {
		p := g.Pkg(id)
		return p == module || strings.HasPrefix(p, module+"/")
	}
	var out []Diagnostic
	seen := map[string]bool{} // one diagnostic per call, for the first category
	for _, cat := range Table {
		if cat.Name == "cgo" {
			continue
		}
		targets := map[int32]bool{}
		for _, sym := range cat.Funcs {
			if f := reach.Func(res.Prog, sym); f != nil {
				if id, ok := g.ID(f); ok {
					targets[id] = true
				}
			}
		}
		nrs := map[int]bool{}
		for _, n := range cat.Sysnrs {
			if nr, ok := syscalls.Number(n); ok {
				nrs[nr] = true
			}
		}
		// System call sites with an unsupported number: the caller is a
		// target, and the site itself a use.
		type sysSite struct {
			pos, callee string
		}
		sysAt := map[int32][]sysSite{}
		for _, s := range sites {
			if nrs[s.Nr] && !s.InRuntime() && s.Callee != nil {
				if id, ok := g.ID(s.Caller); ok {
					targets[id] = true
					name := fmt.Sprintf("%s(SYS_%s)", s.Callee.String(), strings.ToUpper(syscalls.Name(s.Nr)))
					sysAt[id] = append(sysAt[id], sysSite{g.Position(s.Pos), name})
				}
			}
		}
		if len(targets) == 0 {
			continue
		}
		isTarget := func(n int32) bool { return targets[n] }
		// A use is a call in the user's module whose callee reaches the API
		// through static calls (exec.Command(...).Run()), or an unsupported
		// system call made there. Reaching an API only through dynamic
		// calls (a func value or interface somewhere in the standard
		// library) is reported once per category, below.
		reaching := g.Reaching(isTarget, true)
		heads := map[int32]reach.Path{}
		head := func(u int32) reach.Path {
			if p, ok := heads[u]; ok {
				return p
			}
			p := g.PrecisePathTo(func(n int32) bool { return n == u })
			heads[u] = p
			return p
		}
		found := false
		for u := int32(0); int(u) < g.Len(); u++ {
			if !isUser(u) || !reaching[u] {
				continue
			}
			for _, ss := range sysAt[u] {
				if ss.pos == "" || seen[ss.pos] {
					found = found || ss.pos != ""
					continue
				}
				h := head(u)
				if h == nil {
					continue
				}
				seen[ss.pos] = true
				found = true
				path := append(append(reach.Path(nil), h...), reach.Step{Func: ss.callee, Kind: reach.Static.String(), Pos: ss.pos})
				out = append(out, Diagnostic{Pos: ss.pos, Category: cat.Name, API: ss.callee, Path: path,
					Message: fmt.Sprintf("call of %s: %s is not possible in a unikernel", ss.callee, cat.What)})
			}
			for _, e := range g.Out(u) {
				if !e.Kind.IsStatic() || !reaching[e.To] || (isUser(e.To) && !targets[e.To]) {
					continue
				}
				pos := g.Position(e.Pos)
				if pos == "" {
					continue
				}
				if seen[pos] {
					found = true // reported under an earlier category
					continue
				}
				h := head(u)
				if h == nil {
					continue // reachable from the runtime only
				}
				tail := g.StaticPathFrom(e.To, isTarget)
				path := append(append(reach.Path(nil), h...), reach.Step{Func: g.Name(e.To), Kind: e.Kind.String(), Pos: pos})
				if len(tail) > 1 {
					path = append(path, tail[1:]...)
				}
				seen[pos] = true
				found = true
				out = append(out, diag(cat, pos, g.Name(e.To), path, targets, g))
			}
		}
		if !found {
			// No call in the user's module: blame the last call on the path.
			if p := g.PrecisePathTo(isTarget); p != nil {
				last, _ := g.Lookup(p[len(p)-1].Func)
				api := ""
				if ss := sysAt[last]; len(ss) > 0 {
					p = append(p, reach.Step{Func: ss[0].callee, Kind: reach.Static.String(), Pos: ss[0].pos})
					api = ss[0].callee
				}
				// Blame the call leaving the user's module last, if any,
				// else the last call on the path.
				pos, callee := "", p[len(p)-1].Func
				for i := 1; i < len(p); i++ {
					prev, _ := g.Lookup(p[i-1].Func)
					cur, _ := g.Lookup(p[i].Func)
					if p[i].Pos != "" && isUser(prev) && !isUser(cur) {
						pos, callee = p[i].Pos, p[i].Func
					}
				}
				if pos == "" {
					for _, s := range p {
						if s.Pos != "" {
							pos = s.Pos
						}
					}
				}
				if seen[pos] {
					continue
				}
				seen[pos] = true
				d := diag(cat, pos, callee, p, targets, g)
				if api != "" {
					d.API = api
					d.Message = fmt.Sprintf("call of %s reaches %s: %s is not possible in a unikernel", callee, api, cat.What)
					if api == callee {
						d.Message = fmt.Sprintf("call of %s: %s is not possible in a unikernel", callee, cat.What)
					}
				}
				out = append(out, d)
			}
		}
	}
	for _, c := range cgo {
		cat := category("cgo")
		d := Diagnostic{
			Pos:      c.Pos.String(),
			Category: cat.Name,
			API:      `import "C"`,
			Message:  fmt.Sprintf("package %s uses cgo, which a unikernel cannot do: this file is left out of the CGO_ENABLED=0 build", c.Pkg),
		}
		if ids := pkgNodes(g, c.Pkg); len(ids) > 0 {
			d.Path = g.PathTo(func(n int32) bool { return ids[n] })
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos != out[j].Pos {
			return out[i].Pos < out[j].Pos
		}
		return out[i].Category < out[j].Category
	})
	return out
}

func pkgNodes(g *reach.Graph, pkg string) map[int32]bool {
	ids := map[int32]bool{}
	for id := int32(0); int(id) < g.Len(); id++ {
		if g.Pkg(id) == pkg {
			ids[id] = true
		}
	}
	return ids
}

func diag(cat Category, pos, callee string, path reach.Path, targets map[int32]bool, g *reach.Graph) Diagnostic {
	api := callee
	for _, s := range path {
		if id, ok := g.Lookup(s.Func); ok && targets[id] {
			api = s.Func
			break
		}
	}
	msg := fmt.Sprintf("call of %s reaches %s: %s is not possible in a unikernel", callee, api, cat.What)
	if api == callee {
		msg = fmt.Sprintf("call of %s: %s is not possible in a unikernel", callee, cat.What)
	}
	return Diagnostic{Pos: pos, Category: cat.Name, API: api, Message: msg, Path: path}
}
