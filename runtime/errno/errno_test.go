package errno

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
)

// TestMatchesLinux checks every number of this package against the Go standard library's table
// for linux/amd64 (syscall/zerrors_linux_amd64.go, generated from the Linux headers), so that a
// mistyped value cannot pass for the kernel's and the program-context services' (which use
// syscall.Errno) common definition.
func TestMatchesLinux(t *testing.T) {
	ours := constants(t, "errno.go", regexp.MustCompile(`(?m)^\t(E[A-Z0-9]+)\s*=\s*(\d+)\s*$`))
	std := constants(t, filepath.Join(runtime.GOROOT(), "src", "syscall", "zerrors_linux_amd64.go"),
		regexp.MustCompile(`(?m)^\t(E[A-Z0-9]+)\s*=\s*Errno\((0x[0-9a-f]+)\)`))
	if len(ours) < 70 {
		t.Fatalf("read %d constants from errno.go: the pattern no longer matches the file", len(ours))
	}
	for name, v := range ours {
		w, ok := std[name]
		switch {
		case !ok:
			t.Errorf("%s: not a Linux error number (not in syscall's table)", name)
		case v != w:
			t.Errorf("%s = %d, Linux has %d", name, v, w)
		}
	}
}

func constants(t *testing.T, file string, re *regexp.Regexp) map[string]int64 {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		v, err := strconv.ParseInt(m[2], 0, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = v
	}
	return out
}
