package syscalls

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

func TestTableKnown(t *testing.T) {
	for _, tc := range []struct {
		nr   int
		name string
	}{
		{0, "read"}, {1, "write"}, {9, "mmap"}, {56, "clone"}, {57, "fork"}, {59, "execve"},
		{101, "ptrace"}, {202, "futex"}, {231, "exit_group"}, {257, "openat"},
		{288, "accept4"}, {302, "prlimit64"}, {318, "getrandom"}, {435, "clone3"}, {462, "mseal"},
	} {
		if got := Name(tc.nr); got != tc.name {
			t.Errorf("Name(%d) = %q, want %q", tc.nr, got, tc.name)
		}
		if got, ok := Number(tc.name); !ok || got != tc.nr {
			t.Errorf("Number(%q) = %d, %v, want %d", tc.name, got, ok, tc.nr)
		}
	}
	if got := Name(-1); got != "" {
		t.Errorf("Name(-1) = %q", got)
	}
}

// TestTableMatchesGo checks the table against the SYS_ constants of the Go
// standard library's syscall package for linux/amd64.
func TestTableMatchesGo(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src/syscall/zsysnum_linux_amd64.go"))
	if err != nil {
		testenv.Missing(t, "the Go standard library's source (GOROOT/src/syscall): %v", err)
	}
	re := regexp.MustCompile(`(?m)^\s*SYS_(\w+)\s*=\s*(\d+)`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		nr, _ := strconv.Atoi(m[2])
		want := strings.ToLower(m[1])
		if got := Name(nr); got != want {
			t.Errorf("Name(%d) = %q, syscall.SYS_%s says %q", nr, got, m[1], want)
		}
		n++
	}
	if n < 250 {
		t.Errorf("only %d SYS_ constants parsed", n)
	}
}
