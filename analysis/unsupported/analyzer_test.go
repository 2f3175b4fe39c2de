package unsupported_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/analysis/unsupported"
	"github.com/unikgen/unikgen/internal/testenv"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), unsupported.Analyzer, "a", "b")
}

// TestAnalyzerCgo checks the reports of `import "C"` as go vet hands cgo files to the analyzer
// with cgo enabled: rewritten by cmd/cgo (c, d).
func TestAnalyzerCgo(t *testing.T) {
	out, err := exec.Command(testenv.NeedGo(t), "env", "CGO_ENABLED").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "1" {
		testenv.Missing(t, "cgo is disabled here (no C compiler, or CGO_ENABLED=0): install gcc")
	}
	t.Setenv("CGO_ENABLED", "1")
	analysistest.Run(t, analysistest.TestData(), unsupported.Analyzer, "c", "d")
}

// TestAnalyzerNoCgo checks the report of a cgo file that a CGO_ENABLED=0 build (a kernel's)
// leaves out (d), and that a cgo file for another system is not reported. analysistest reads no
// expectations in files left out of the build, so the report arrives as the one "unexpected
// diagnostic", checked here.
func TestAnalyzerNoCgo(t *testing.T) {
	t.Setenv("CGO_ENABLED", "0")
	var r errorRecorder
	analysistest.Run(&r, analysistest.TestData(), unsupported.Analyzer, "d")
	want := "d/d_cgo.go:8:8: unexpected diagnostic: unikernel: package d uses cgo: cgo is not possible in a unikernel"
	if len(r) != 1 || !strings.Contains(r[0], want) {
		t.Errorf("analysistest reported %q, want one message containing %q", r, want)
	}
}

// errorRecorder is an analysistest.Testing that keeps the errors.
type errorRecorder []string

func (r *errorRecorder) Errorf(format string, args ...any) {
	*r = append(*r, fmt.Sprintf(format, args...))
}
