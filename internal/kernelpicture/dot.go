// Package kernelpicture draws a kernel plan and its image's sizes: the component graph in
// Graphviz's DOT language (https://graphviz.org/doc/info/lang.html) and a self-contained HTML page
// with a treemap of the image and the component graph with each edge's witness. It also decides
// which packages belong to a component (Classifier, Owners) for internal/imagesize's grouping.
//
// In the graph, the program's main package has an edge to each component its code uses, labelled
// with the witness: the call path from main to the use (gen/plan.Component.Witness). A component
// that is in for another reason (the Go runtime's needs, the target) hangs off a "runtime and
// target" node, its edge labelled with the reason. Components that are out are drawn dashed, with
// the reason, and no edge.
package kernelpicture

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/imagesize"
)

// Node names of the two sources of edges.
const (
	programNode = "program"
	runtimeNode = "runtime and target"
)

// WriteDOT writes p's component graph. With sizes (from imagesize.Report.ByComponent; may be
// nil) each component's node also shows its memory and file bytes.
func WriteDOT(w io.Writer, p *plan.Plan, sizes []imagesize.Component) error {
	size := map[string]imagesize.Component{}
	for _, c := range sizes {
		size[c.Name] = c
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// The components of the kernel for %s (unikgen explain -dot).\n", p.Package)
	b.WriteString("digraph kernel {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	fmt.Fprintf(&b, "\t%s [shape=ellipse, label=%s];\n", quote(programNode), quote(p.Package+"\n(main package)"))
	fmt.Fprintf(&b, "\t%s [shape=ellipse, style=dotted, label=%s];\n", quote(runtimeNode), quote("Go runtime and target "+string(p.Target)))
	for _, c := range p.Components {
		label := c.Name
		if c.Package != "" {
			label += "\n" + c.Package
		}
		if s, ok := size[c.Name]; ok {
			label += fmt.Sprintf("\nmemory %d B, file %d B", s.Memory, s.File)
		}
		if !c.In {
			fmt.Fprintf(&b, "\t%s [style=dashed, color=gray50, fontcolor=gray50, label=%s];\n", quote(c.Name), quote(label+"\nout: "+c.Reason))
			continue
		}
		fmt.Fprintf(&b, "\t%s [label=%s];\n", quote(c.Name), quote(label))
		if len(c.Witness) > 0 {
			fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", quote(programNode), quote(c.Name), quote(WitnessLabel(c.Witness)))
		} else {
			fmt.Fprintf(&b, "\t%s -> %s [style=dotted, label=%s];\n", quote(runtimeNode), quote(c.Name), quote(c.Reason))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WitnessLabel formats a witness one step a line: the function and, shortened to the file's base
// name, where the previous function calls or uses it.
func WitnessLabel(p analysis.Path) string {
	var lines []string
	for _, s := range p {
		l := s.Func
		if s.Pos != "" {
			l += " (" + filepath.Base(s.Pos) + ")"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// quote returns s as a DOT quoted string: quotes and backslashes escaped, newlines as \n (centred
// lines).
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
