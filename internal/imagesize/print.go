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
	fmt.Fprintf(w, "%s: file %d bytes, memory %d bytes\n", r.Image, r.FileSize, r.MemorySize)
	tw := bufio.NewWriter(w)
	row := func(file, mem int64, name string) {
		fmt.Fprintf(tw, "%12d %12d  %s\n", file, mem, name)
	}
	fmt.Fprintf(tw, "\n%-12s %12s %12s\n", "sections:", "file", "memory")
	for _, s := range r.Sections {
		row(s.File, s.Memory, s.Name)
	}
	row(r.HeaderFile, r.PaddingMemory, "(headers, padding)")
	fmt.Fprintf(tw, "\n%-12s %12s %12s\n", "components:", "file", "memory")
	for _, c := range comps {
		row(c.File, c.Memory, c.Name)
	}
	fmt.Fprintf(tw, "\n%-12s %12s %12s\n", "packages:", "file", "memory")
	for _, p := range r.Packages {
		row(p.File, p.Memory, p.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nComponents and packages count the allocated sections only (code and data);\nDWARF, symbol tables and headers are in the file size alone, .bss and .noptrbss in memory alone.\n")
	return err
}
