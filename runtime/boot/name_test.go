package boot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestConfigStringLengths compiles this package with composition roots (config_gen.go, through
// go build -overlay, as unikgen build does) whose ProgramName and DefaultCmdline have every length
// from 1 to 64: a program name of 17 characters or more once crashed the Go 1.26 compiler in
// buildProcessStack. The builds run in parallel; only this package is compiled each time.
func TestConfigStringLengths(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package 64 times; skipped with -short")
	}
	goTool := testenv.NeedGo(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	const name, cmdline = `ProgramName = "unikgen"`, `DefaultCmdline = ""`
	if !bytes.Contains(src, []byte(name)) || !bytes.Contains(src, []byte(cmdline)) {
		t.Fatalf("config_gen.go has no %s or no %s; update this test", name, cmdline)
	}
	tmp := t.TempDir()
	const maxLen = 64
	errs := make([]string, maxLen+1)
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for n := 1; n <= maxLen; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[n] = compileWithLength(goTool, dir, filepath.Join(tmp, fmt.Sprint(n)), src, n)
		}()
	}
	wg.Wait()
	for n, e := range errs {
		if e != "" {
			t.Errorf("ProgramName and DefaultCmdline of %d bytes: %s", n, e)
		}
	}
}

// compileWithLength compiles the package in dir with config_gen.go's ProgramName and
// DefaultCmdline n bytes long, and returns what went wrong ("" for nothing).
func compileWithLength(goTool, dir, tmp string, src []byte, n int) string {
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err.Error()
	}
	long := strings.Repeat("abcdefghijklmnopqrstuvwxyz-0123456789", 2)[:n]
	gen := bytes.Replace(src, []byte(`ProgramName = "unikgen"`), []byte(`ProgramName = "`+long+`"`), 1)
	gen = bytes.Replace(gen, []byte(`DefaultCmdline = ""`), []byte(`DefaultCmdline = "`+long+`"`), 1)
	file := filepath.Join(tmp, "config_gen.go")
	if err := os.WriteFile(file, gen, 0o644); err != nil {
		return err.Error()
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(dir, "config_gen.go"): file}})
	if err := os.WriteFile(filepath.Join(tmp, "overlay.json"), overlay, 0o644); err != nil {
		return err.Error()
	}
	cmd := exec.Command(goTool, "build", "-overlay", filepath.Join(tmp, "overlay.json"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		first, _, _ := strings.Cut(string(out), "\n\n") // the compiler's message, without its stack
		return fmt.Sprintf("go build: %v\n%s", err, first)
	}
	return ""
}
