package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestVetTool builds unikvet and runs it through go vet -vettool on the
// analysis golden cases: a clean program and one in its own module that
// runs a shell from a helper package.
func TestVetTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary and runs go vet")
	}
	tool := filepath.Join(t.TempDir(), "unikvet")
	if out, err := exec.Command("go", "build", "-o", tool, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	vet := func(dir string) (string, int) {
		cmd := exec.Command("go", "vet", "-vettool="+tool, "./...")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := vet("../../analysis/testdata/hello"); code != 0 || out != "" {
		t.Errorf("hello: exit %d, output %q; want 0 and nothing", code, out)
	}
	out, code := vet("../../analysis/testdata/tempmod")
	if code != 1 {
		t.Errorf("tempmod: exit %d, want 1\n%s", code, out)
	}
	// Configuration errors, positioned at the values.
	bad := t.TempDir()
	testenv.WriteModule(t, bad, map[string]string{"main.go": `package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{
	Target:    "arm64",
	MemoryMiB: -4,
}

func main() {}
`})
	cfgOut, cfgCode := vet(bad)
	if cfgCode != 1 {
		t.Errorf("bad config: exit %d, want 1\n%s", cfgCode, cfgOut)
	}
	for _, want := range []string{
		"main.go:6:13: unikgen: config.Kernel.Target: unknown target \"arm64\"",
		"main.go:7:13: unikgen: config.Kernel.MemoryMiB: -4 MiB: must be positive",
	} {
		if !strings.Contains(cfgOut, want) {
			t.Errorf("bad config: output lacks %q:\n%s", want, cfgOut)
		}
	}
	for _, want := range []string{
		"internal/shell/shell.go:8:61: unikernel: call of os/exec.(*Cmd).CombinedOutput reaches os.StartProcess",
		"main.go:15:24: unikernel: call of example.com/app/internal/shell.Run reaches os.StartProcess",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tempmod: output lacks %q:\n%s", want, out)
		}
	}
}
