// This file implements the queries on a Result.

package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/load"
	"github.com/unikgen/unikgen/analysis/reach"
	"github.com/unikgen/unikgen/analysis/syscalls"
)

// Capability returns the named capability and whether the program uses it.
func (r *Result) Capability(name string) (Capability, bool) {
	for _, c := range r.Capabilities {
		if c.Name == name {
			return c, true
		}
	}
	return Capability{}, false
}

// Reaches reports whether some function of the package with the given
// import path is reachable.
func (r *Result) Reaches(pkgPath string) bool {
	i := sort.SearchStrings(r.Packages, pkgPath)
	return i < len(r.Packages) && r.Packages[i] == pkgPath
}

// Syscall returns the named system call and whether the program can make it.
func (r *Result) Syscall(name string) (Syscall, bool) {
	for _, c := range r.Syscalls.Calls {
		if c.Name == name {
			return c, true
		}
	}
	return Syscall{}, false
}

// Why returns a shortest call path from a root to what name denotes:
//
//   - a function, as go/ssa prints it ("(*os/exec.Cmd).Run",
//     "example.com/app.main") or as the linker does ("os/exec.(*Cmd).Run");
//   - "capability:NAME" or a capability name ("sockets"), or
//     "capability:sockets/tcp4" for one kind;
//   - "syscall:NAME" or a system call name ("openat"): the path to the
//     nearest call site, ending with the call;
//   - a package path ("net"): the path to its nearest reachable function.
//
// It fails if name is unknown or not reachable. A Result decoded from JSON
// has no graph and answers only capability queries.
func (r *Result) Why(name string) (Path, error) {
	if c, ok := strings.CutPrefix(name, "capability:"); ok {
		capName, kind, _ := strings.Cut(c, "/")
		cp, ok := r.Capability(capName)
		if !ok {
			return nil, fmt.Errorf("capability %s is not used", capName)
		}
		if kind == "" {
			return cp.Witness, nil
		}
		for _, k := range cp.Kinds {
			if k.Name == kind {
				return k.Witness, nil
			}
		}
		return nil, fmt.Errorf("capability %s has no kind %s", capName, kind)
	}
	if cp, ok := r.Capability(name); ok {
		return cp.Witness, nil
	}
	if r.graph == nil {
		return nil, fmt.Errorf("%s: no call graph (result decoded from JSON?)", name)
	}
	g := r.graph
	id, ok := g.Lookup(name)
	if !ok {
		id, ok = g.Lookup(ssaName(name))
	}
	if ok {
		if p := g.PathTo(func(n int32) bool { return n == id }); p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("%s is reachable only through the runtime's roots", name)
	}
	scName, isSys := strings.CutPrefix(name, "syscall:")
	if nr, ok := syscalls.Number(scName); ok {
		refs := r.sysSites[nr]
		if len(refs) == 0 {
			return nil, fmt.Errorf("system call %s is not made", scName)
		}
		callers := map[int32]bool{}
		for _, ref := range refs {
			callers[ref.caller] = true
		}
		if callers[-1] { // the runtime's assembly-only roots
			return Path{{Func: "runtime (assembly)"}, refs[0].step}, nil
		}
		p := g.PathTo(func(n int32) bool { return callers[n] })
		if p == nil {
			return nil, fmt.Errorf("system call %s: no path", scName)
		}
		last := g.Name(mustLookup(g, p[len(p)-1].Func))
		for _, ref := range refs {
			if g.Name(ref.caller) == last {
				return append(p, ref.step), nil
			}
		}
		return p, nil
	} else if isSys {
		return nil, fmt.Errorf("unknown system call %s", scName)
	}
	// A package path.
	var ids []bool
	found := false
	for id := 0; id < g.Len(); id++ {
		m := g.Pkg(int32(id)) == name
		ids = append(ids, m)
		found = found || m
	}
	if found {
		if p := g.PathTo(func(n int32) bool { return ids[n] }); p != nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s: no such reachable function, package, capability or system call", name)
}

func mustLookup(g *reach.Graph, name string) int32 {
	id, _ := g.Lookup(name)
	return id
}

// ssaName converts a linker-style method name ("os/exec.(*Cmd).Run",
// "net.IP.String") to go/ssa's ("(*os/exec.Cmd).Run", "(net.IP).String").
func ssaName(sym string) string {
	pkg, rest := load.SplitSymbol(sym)
	recv, meth, ok := strings.Cut(rest, ".")
	if pkg == "" || !ok {
		return sym
	}
	if t, ok := strings.CutPrefix(recv, "(*"); ok {
		return "(*" + pkg + "." + strings.TrimSuffix(t, ")") + ")." + meth
	}
	return "(" + pkg + "." + recv + ")." + meth
}
