package sysno

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestTableUpToDate regenerates table.go from syscalls.txt into a temporary directory and
// compares it with the committed file, so that an edit of either alone fails.
func TestTableUpToDate(t *testing.T) {
	goCmd := testenv.NeedGo(t)
	out := filepath.Join(t.TempDir(), "table.go")
	cmd := exec.Command(goCmd, "run", "gen_table.go", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_table.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("table.go is not what gen_table.go makes from syscalls.txt: run go generate in runtime/sysno")
	}
}
