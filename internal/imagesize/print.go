// This file implements the text form of a Report.

package imagesize

import (
	"bufio"
	"fmt"
	"io"
)

// Print writes r for people: the totals, the sections, the components (comps, from ByComponent)
// and every package, with file and memory bytes in separate columns.
func (r *Report) Print(w io.Writer, comps []Component) error {
	fmt.Fprintf(w, "%s: file %d bytes, memory %d bytes", r.Image, r.FileSize, r.MemorySize)
	if r.ZeroTail > 0 {
		fmt.Fprintf(w, " and a zero tail of %d bytes mapped on demand", r.ZeroTail)
	}
	fmt.Fprintln(w)
	tw := bufio.NewWriter(w)
	row := func(file, mem, tail int64, name string) {
		fmt.Fprintf(tw, "%12d %12d %12d  %s\n", file, mem, tail, name)
	}
	head := func(what string) { fmt.Fprintf(tw, "\n%-12s %12s %12s %12s\n", what, "file", "memory", "zero tail") }
	head("sections:")
	for _, s := range r.Sections {
		row(s.File, s.Memory, s.ZeroTail, s.Name)
	}
	row(r.HeaderFile, r.PaddingMemory, 0, "(headers, padding)")
	head("components:")
	for _, c := range comps {
		row(c.File, c.Memory, c.ZeroTail, c.Name)
	}
	head("packages:")
	for _, p := range r.Packages {
		row(p.File, p.Memory, p.ZeroTail, p.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nComponents and packages count the allocated sections only (code and data);\nDWARF, symbol tables and headers are in the file size alone, .bss and .noptrbss in memory alone;\nthe zero tail is the part of the BSS the loader does not place, which the kernel maps when touched.\n")
	return err
}
