// Package testenv is what unikgen's tests ask of the machine they run on: QEMU, the nested-Xen
// harness, the go command, and modules that build without the network.
//
// A test whose prerequisite is missing skips, with a message that says what to install. When the
// environment variable UNIKGEN_TEST_STRICT is set (to anything but "", "0" or "false"), a missing
// prerequisite fails the test instead: CI (.ci/run) sets it, so that a broken setup cannot pass as
// a row of skips. -short is an explicit request and is left to each test.
//
// Modules created by tests (WriteModule) get a complete go.mod and the repository's go.sum, so that
// they build from the module cache that building this repository filled, without the network: the
// go command never asks the checksum database, and no test runs `go mod tidy` (it would need
// modules that are not in that cache).
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// StrictEnv names the environment variable that turns missing prerequisites into failures.
const StrictEnv = "UNIKGEN_TEST_STRICT"

// QEMU is the emulator the boot tests run (internal/host/qemu.Binary; not imported, so that every
// package's tests can use this one).
const QEMU = "qemu-system-x86_64"

// Strict reports whether a missing prerequisite must fail the test (StrictEnv is set).
func Strict() bool {
	switch strings.ToLower(os.Getenv(StrictEnv)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Missing ends the test because a prerequisite is missing: it skips, or fails in strict mode. The
// message says what is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (%s is set: a missing prerequisite is a failure)", msg, StrictEnv)
		return
	}
	t.Skipf("%s (set %s=1 to make this a failure)", msg, StrictEnv)
}

// Need calls Missing with err's message when err is not nil.
func Need(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		Missing(t, "%v", err)
	}
}

// NeedQEMU returns the path of qemu-system-x86_64, or ends the test through Missing.
func NeedQEMU(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath(QEMU)
	if err != nil {
		Missing(t, "%s not found: install QEMU 10 (scripts/install-qemu.sh)", QEMU)
	}
	return p
}

// NeedBoot is for a test that boots kernels under QEMU: -short skips it, with what ("boots
// kernels") as the reason, and QEMU must be installed (NeedQEMU, whose path it returns).
func NeedBoot(t testing.TB, what string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s; skipped with -short", what)
	}
	return NeedQEMU(t)
}

// NeedXen ends the test through Missing unless the nested-Xen harness can run: QEMU is installed
// and harness, the result of internal/host/xenlab.CheckHost, is nil. (testenv does not import xenlab,
// so that xenlab's own tests can use it.)
func NeedXen(t testing.TB, harness error) {
	t.Helper()
	if _, err := exec.LookPath(QEMU); err != nil {
		Missing(t, "%s not found: the Xen tests run Xen nested in QEMU; install QEMU 10 (scripts/install-qemu.sh)", QEMU)
	}
	if harness != nil {
		Missing(t, "the nested-Xen harness cannot be built here: %v", harness)
	}
}

// NeedGo returns the path of the go command, or ends the test through Missing.
func NeedGo(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		Missing(t, "the go command is not in PATH")
	}
	return p
}

// ModuleRoot returns the directory of this repository's go.mod.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SeedGoSum copies the repository's go.sum into the module in dir. A module that requires unikgen
// (through a replace directive pointing at this checkout) needs the same checksums, and with them
// the go command does not ask the checksum database, which CI and fresh machines may not reach.
func SeedGoSum(t testing.TB, dir string) {
	t.Helper()
	sum, err := os.ReadFile(filepath.Join(ModuleRoot(), "go.sum"))
	if err != nil {
		t.Fatalf("reading the repository's go.sum: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// AppGoMod returns the go.mod of a module named path that requires this checkout (through a
// replace directive) and keeps that requirement as a tool, as cmd/unikgen's usage recommends. It
// is what `go mod tidy` would write: the repository's go version and, as indirect requirements,
// the repository's own. (Running tidy in a test would need the module cache to hold the test
// dependencies of those modules too, which building this repository does not download.)
func AppGoMod(t testing.TB, path string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(ModuleRoot(), "go.mod"))
	if err != nil {
		t.Fatalf("reading the repository's go.mod: %v", err)
	}
	goVersion, reqs, err := parseGoMod(string(src))
	if err != nil {
		t.Fatalf("the repository's go.mod: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire github.com/unikgen/unikgen v0.0.0\n\nrequire (\n", path, goVersion)
	for _, r := range reqs {
		fmt.Fprintf(&b, "\t%s // indirect\n", r)
	}
	fmt.Fprintf(&b, ")\n\ntool github.com/unikgen/unikgen/cmd/unikgen\n\nreplace github.com/unikgen/unikgen => %s\n", ModuleRoot())
	return b.String()
}

// parseGoMod returns the go version and the requirements ("PATH VERSION") of a go.mod.
func parseGoMod(src string) (goVersion string, reqs []string, err error) {
	inRequire := false
	for i, line := range strings.Split(src, "\n") {
		if c := strings.Index(line, "//"); c >= 0 {
			line = line[:c]
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case inRequire && f[0] == ")":
			inRequire = false
		case inRequire && len(f) == 2:
			reqs = append(reqs, f[0]+" "+f[1])
		case f[0] == "go" && len(f) == 2:
			goVersion = f[1]
		case f[0] == "require" && len(f) == 2 && f[1] == "(":
			inRequire = true
		case f[0] == "require" && len(f) == 3:
			reqs = append(reqs, f[1]+" "+f[2])
		case inRequire:
			return "", nil, fmt.Errorf("line %d: cannot read %q", i+1, line)
		}
	}
	if goVersion == "" {
		return "", nil, errors.New("no go directive")
	}
	return goVersion, reqs, nil
}

// WriteModule writes files (slash-separated names relative to dir, and their contents) into dir.
// Without a "go.mod" among them it adds AppGoMod(t, "example.com/app") and the repository's
// go.sum: the module then builds offline, from the module cache that building this repository
// filled, without asking the checksum database.
func WriteModule(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = AppGoMod(t, "example.com/app")
		SeedGoSum(t, dir)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// CheckGenerated runs the generator program (a go run file of the current directory, which
// takes -out FILE) into a temporary directory and fails t when what it writes differs from the
// committed file: a hand edit of the file, or a change of the generator or its inputs alone, is
// caught.
func CheckGenerated(t testing.TB, generator, file string) {
	t.Helper()
	goCmd := NeedGo(t)
	out := filepath.Join(t.TempDir(), filepath.Base(file))
	if b, err := exec.Command(goCmd, "run", generator, "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("go run %s: %v\n%s", generator, err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		wd, _ := os.Getwd()
		t.Errorf("%s is not what %s writes: run go generate in %s", file, generator, wd)
	}
}

// LogWriter returns a writer that turns what is written to it (progress output of the QEMU and
// Xen runners, a guest's console) into t's log lines, a line at a time. It is safe for
// concurrent writes.
func LogWriter(t testing.TB) io.Writer { return &logWriter{t: t} }

type logWriter struct {
	t   testing.TB
	mu  sync.Mutex
	buf []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
