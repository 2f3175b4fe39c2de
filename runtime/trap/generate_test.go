package trap

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestVectorsUpToDate regenerates vectors_amd64.s into a temporary directory and compares it with
// the committed file, so that a hand edit of the stubs or a change of the generator alone fails.
func TestVectorsUpToDate(t *testing.T) {
	goCmd := testenv.NeedGo(t)
	out := filepath.Join(t.TempDir(), "vectors_amd64.s")
	cmd := exec.Command(goCmd, "run", "gen_vectors.go", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_vectors.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("vectors_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("vectors_amd64.s is not what gen_vectors.go writes: run go generate in runtime/trap")
	}
}
