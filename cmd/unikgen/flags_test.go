package main

import (
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestRunTagsLDFlagsTrace boots a program built with -tags and -ldflags=-s -w (a stripped image:
// no symbol table, no DWARF) and -x: the tagged file is in the program, the image boots and
// prints, and the go build and QEMU command lines are printed on standard error.
func TestRunTagsLDFlagsTrace(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{
		"main.go": `package main

import "fmt"

var greeting = "untagged"

func main() { fmt.Println(greeting) }
`,
		"tagged.go": `//go:build special

package main

func init() { greeting = "tagged" }
`,
	})
	r := run(t, dir, nil, "run", "-x", "-tags", "special", "-ldflags=-s -w", ".")
	if r.code != 0 || r.stdout != "tagged\n" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 0, stdout \"tagged\\n\"", r.code, r.stdout, r.stderr)
	}
	var goBuild, qemuLine string
	for _, l := range strings.Split(r.stderr, "\n") {
		switch {
		case strings.Contains(l, " go build "):
			goBuild = l
		case strings.Contains(l, "qemu-system-x86_64") && strings.Contains(l, "-kernel"):
			qemuLine = l
		}
	}
	if !strings.HasPrefix(goBuild, "GOOS=linux ") || !strings.Contains(goBuild, " -tags=special ") ||
		!strings.Contains(goBuild, "-T=0x201000 -s -w'") {
		t.Errorf("-x: go build line %q, want GOOS=linux ... -tags=special and the linker flags ending in -s -w; stderr:\n%s", goBuild, r.stderr)
	}
	if qemuLine == "" {
		t.Errorf("-x: no QEMU command line on stderr:\n%s", r.stderr)
	}
}
