package gen_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFence checks that the library OS never imports the generator, the analyser, x/tools or
// jennifer: they must not end up in a kernel.
func TestFence(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../runtime/...", "../drivers/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/unikgen/unikgen/gen", "github.com/unikgen/unikgen/analysis", "golang.org/x/tools", "github.com/dave/jennifer"} {
			if p == bad || strings.HasPrefix(p, bad+"/") {
				t.Errorf("the library OS depends on %s", p)
			}
		}
	}
}
