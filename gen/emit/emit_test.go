package emit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/unikgen/unikgen/gen/plan"
)

func readTree(t *testing.T) *plan.Tree {
	t.Helper()
	root := filepath.Join("..", "..", "runtime")
	tr, err := ReadTree(filepath.Join(root, "sysno"), filepath.Join(root, "sys"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(root, "platform", "xen"))
	tr.Xen = err == nil
	return tr
}

// TestGenericRoot checks that the generic plan reproduces the committed generic composition root
// byte for byte.
func TestGenericRoot(t *testing.T) {
	tr := readTree(t)
	p, err := plan.Make("", plan.Settings{}, tr, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := CompositionRoot(p, tr)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "runtime", "boot", "config_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("generic composition root differs from runtime/boot/config_gen.go\n--- got\n%s", got)
	}
}
