package symbolize

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport resolves a made-up fault report against a real Go binary: the test's own
// executable, where the address of TestReport's caller is known.
func TestReport(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Skip("not an ELF test binary:", err)
	}
	syms, _ := f.Symbols()
	f.Close()
	var pc uint64
	for _, s := range syms {
		if strings.HasSuffix(s.Name, "symbolize.TestReport") {
			pc = s.Value + 8
		}
	}
	if pc == 0 {
		t.Skip("no symbol for TestReport (stripped binary)")
	}
	console := fmt.Sprintf("boot noise\nunikgen: page fault in kernel\nstack trace (return addresses; resolve with go tool addr2line):\n\t%#x\nfatal error: unikgen: page fault in kernel\n", pc)
	got, err := Report(exe, []byte(console))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "symbolize.TestReport") || !strings.Contains(got, "symbolize_test.go:") {
		t.Errorf("report:\n%s", got)
	}
	if got, _ := Report(exe, []byte("no fault here\n")); got != "" {
		t.Errorf("report without a fault: %q", got)
	}
	if _, err := Report(filepath.Join(t.TempDir(), "missing"), []byte(console)); err == nil {
		t.Error("a missing image gave no error")
	}
}
