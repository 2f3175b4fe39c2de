// This file implements the grouping of packages into kernel components.

package imagesize

import (
	"sort"
	"strings"

	"github.com/unikgen/unikgen/internal/libos"
)

// Groups of packages that are not a component of the plan.
const (
	GroupProgram   = "program"          // the main package and the rest of its module
	GroupLibraryOS = "library OS"       // unikgen's runtime/, drivers/ and services/ outside a component
	GroupRuntime   = "Go runtime"       // runtime and internal/runtime/...
	GroupStd       = "standard library" // the rest of std
	GroupDeps      = "dependencies"     // other modules
	GroupLinker    = "linker data"      // symbols of no package (go:string, go:func, type:, $f64, assembly) and bytes of no symbol
)

// LibraryOSModule is the module path of unikgen's library OS.
const LibraryOSModule = libos.Module

// Classifier assigns packages to components: a component owns the package the composition root
// imports for it, the packages below it and the packages in Owned; the others fall into the Group*
// groups.
type Classifier struct {
	Components map[string]string // component name -> its package
	Program    string            // the main package's import path
	Module     string            // the main package's module path ("" if unknown)
	// Owned maps packages outside the components' trees to the one component that uses them
	// (their private dependencies, such as gvisor.dev/gvisor for the network).
	Owned map[string]string
}

// Component is one component's (or group's) share of the image.
type Component struct {
	Name     string   `json:"name"`
	File     int64    `json:"file"`
	Memory   int64    `json:"memory"`
	ZeroTail int64    `json:"zero_tail"`
	Packages []string `json:"packages"` // largest first
}

// Classify returns the component or group of package path p (a Report's Package.Path).
func (c *Classifier) Classify(p string) string {
	best, bestLen := "", -1
	for name, cp := range c.Components {
		if cp != "" && under(p, cp) && len(cp) > bestLen {
			best, bestLen = name, len(cp)
		}
	}
	if best != "" {
		return best
	}
	if name, ok := c.Owned[p]; ok {
		return name
	}
	switch {
	case strings.HasPrefix(p, "(") || p == "type:" || strings.HasPrefix(p, "go:") || strings.HasPrefix(p, "$"):
		return GroupLinker
	case p == c.Program || p == "main" || c.Module != "" && c.Module != LibraryOSModule && under(p, c.Module):
		return GroupProgram
	case under(p, LibraryOSModule+"/runtime") || under(p, LibraryOSModule+"/drivers") || under(p, LibraryOSModule+"/services"):
		return GroupLibraryOS
	case under(p, "runtime") || under(p, "internal/runtime"):
		return GroupRuntime
	case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
		return GroupStd
	case under(p, LibraryOSModule):
		return GroupProgram // an example or another main package of the library OS's module
	}
	return GroupDeps
}

// under reports whether package p is pkg or below it.
func under(p, pkg string) bool {
	return p == pkg || strings.HasPrefix(p, pkg+"/")
}

// ByComponent groups r's packages with c, largest (memory + zero tail) first. The components add up to the
// allocated sections of the image.
func (r *Report) ByComponent(c *Classifier) []Component {
	m := map[string]*Component{}
	for _, p := range r.Packages {
		name := c.Classify(p.Path)
		g := m[name]
		if g == nil {
			g = &Component{Name: name}
			m[name] = g
		}
		g.File += p.File
		g.Memory += p.Memory
		g.ZeroTail += p.ZeroTail
		g.Packages = append(g.Packages, p.Path)
	}
	var out []Component
	for _, g := range m {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Memory+out[i].ZeroTail, out[j].Memory+out[j].ZeroTail
		if a != b {
			return a > b
		}
		return out[i].Name < out[j].Name
	})
	return out
}
