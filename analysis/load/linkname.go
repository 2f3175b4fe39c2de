// This file extracts //go:linkname directives from loaded syntax.

package load

import (
	"strings"

	"golang.org/x/tools/go/packages"
)

// A Linkname is one //go:linkname directive.
//
// "//go:linkname local remote" either pulls remote's body into a bodyless
// local declaration, or pushes local's body under the symbol name remote.
// The one-argument form "//go:linkname local" only exports local's symbol.
type Linkname struct {
	Pkg    string // import path of the package holding the directive
	Local  string // local name
	Remote string // target symbol, e.g. "runtime.nanotime1"; "" in the one-argument form
}

// linknames returns the //go:linkname directives of p's syntax.
func linknames(p *packages.Package) []Linkname {
	var out []Linkname
	for _, f := range p.Syntax {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				rest, ok := strings.CutPrefix(c.Text, "//go:linkname ")
				if !ok {
					continue
				}
				fields := strings.Fields(rest)
				switch len(fields) {
				case 1:
					out = append(out, Linkname{Pkg: p.PkgPath, Local: fields[0]})
				case 2:
					out = append(out, Linkname{Pkg: p.PkgPath, Local: fields[0], Remote: fields[1]})
				}
			}
		}
	}
	return out
}

// SplitSymbol splits a linker symbol name such as "internal/runtime/atomic.Load"
// or "net/http.(*Server).Serve" into its package path and the rest.
func SplitSymbol(sym string) (pkg, name string) {
	slash := strings.LastIndex(sym, "/")
	dot := strings.Index(sym[slash+1:], ".")
	if dot < 0 {
		return "", sym
	}
	dot += slash + 1
	return sym[:dot], sym[dot+1:]
}
