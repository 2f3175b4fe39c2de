package symbolize

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReport resolves a made-up fault report against a real Go binary: the test's own
// executable, where the address of TestReport is known from reflection (test binaries are not
// position-independent on linux/amd64, so it is the link-time address). The symbol table the
// package reads (.gopclntab) is there even in a stripped binary.
func TestReport(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pc := uint64(reflect.ValueOf(TestReport).Pointer())
	console := fmt.Sprintf("boot noise\nunikgen: page fault in kernel\nstack trace (return addresses; resolve with go tool addr2line):\n\t%#x\n\t%#x\nfatal error: unikgen: page fault in kernel\n", pc, pc+1)
	got, err := Report(exe, []byte(console))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 frames, got:\n%s", got)
	}
	for _, l := range lines {
		if !strings.Contains(l, "symbolize.TestReport") || !strings.Contains(l, "symbolize_test.go:") {
			t.Errorf("frame %q does not name TestReport in symbolize_test.go", l)
		}
	}
	if got, _ := Report(exe, []byte("no fault here\n")); got != "" {
		t.Errorf("report without a fault: %q", got)
	}
	if _, err := Report(filepath.Join(t.TempDir(), "missing"), []byte(console)); err == nil {
		t.Error("a missing image gave no error")
	}
}
