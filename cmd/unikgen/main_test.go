package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// unikgen is the binary under test, built once by TestMain.
var unikgen string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "unikgen-cli-test-")
	if err != nil {
		panic(err)
	}
	unikgen = filepath.Join(dir, "unikgen")
	os.Setenv("UNIKGEN_CACHE", filepath.Join(dir, "cache")) // the tests' own analysis cache
	if out, err := exec.Command("go", "build", "-o", unikgen, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building unikgen: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func moduleRoot() string { return testenv.ModuleRoot() }

type result struct {
	stdout, stderr string
	code           int
}

// run runs unikgen in dir with extra environment.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(unikgen, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return runCmd(t, cmd)
}

// runCmd runs cmd and returns its output and exit status.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// appModule writes a module outside this repository that uses unikgen as a tool.
func appModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{"cmd/app/main.go": src})
	return dir
}

func TestUsageErrors(t *testing.T) {
	root := moduleRoot()
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "Usage:\n\n\tunikgen <command> [arguments]"},
		{[]string{"frobnicate"}, 2, `unikgen: unknown command "frobnicate"; run 'unikgen help'`},
		{[]string{"build", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"build", "./image"}, 2, "unikgen: ./image: github.com/unikgen/unikgen/image is not a main package (it is package image)\n"},
		{[]string{"build", "./examples/hello", "./examples/goroutines"}, 2, "unikgen: more than one package (./examples/hello, ./examples/goroutines); program arguments go after --"},
		{[]string{"build", "./no/such/dir"}, 2, "unikgen: ./no/such/dir: stat " + filepath.Join(root, "no/such/dir") + ": directory not found"},
		{[]string{"run", "-m", "lots"}, 2, `invalid value "lots" for flag -m`},
		{[]string{"run", "-m", "0", "./examples/hello"}, 2, "unikgen: -m 0: want a positive number of MiB"},
		// Limits are checked before the package is even looked at: one message, nothing built.
		{[]string{"run", "-m", "100000", "./no/such/dir"}, 2, "unikgen: -m 100000: at most 4096 MiB: the kernel uses only guest memory below 4 GiB\n"},
		{[]string{"build", "-m", "100000", "./no/such/dir"}, 2, "unikgen: -m 100000: at most 4096 MiB: the kernel uses only guest memory below 4 GiB\n"},
		{[]string{"run", "-timeout", "-5s", "./no/such/dir"}, 2, "unikgen: -timeout -5s: want a positive duration, or 0 for no limit\n"},
		{[]string{"run", "-accel", "hvf", "./examples/hello"}, 2, `unikgen: unknown accelerator "hvf" (want tcg or kvm)`},
		{[]string{"run", "-machine", "pc", "./examples/hello"}, 2, `unikgen: unknown machine "pc" (want microvm or q35)`},
		{[]string{"run", "-env", "NOVALUE", "./examples/hello"}, 2, `invalid value "NOVALUE" for flag -env: "NOVALUE" is not KEY=VALUE`},
		{[]string{"run", "-gdb", "-target", "xen", "./examples/hello"}, 2, "unikgen: -gdb is a QEMU setting: it does not apply to -target xen"},
		{[]string{"explain", "-dot", "-size", "./no/such/dir"}, 2, "unikgen: -dot and -size both print to standard output: give one\n"},
	}
	for _, tt := range tests {
		r := run(t, root, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("unikgen %s: exit %d, stderr:\n%s\nwant exit %d and stderr containing:\n%s",
				strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	r := run(t, moduleRoot(), nil, "help")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Unikgen compiles an ordinary Go main package") || !strings.Contains(r.stdout, "-env KEY=VALUE") {
		t.Errorf("unikgen help: exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

func TestQEMUMissing(t *testing.T) {
	t.Parallel()
	goTool := testenv.NeedGo(t)
	r := run(t, moduleRoot(), []string{"PATH=" + filepath.Dir(goTool)}, "run", "./examples/hello")
	want := "unikgen: qemu-system-x86_64 not found: install qemu-system-x86"
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("run without QEMU: exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
	}
}

func TestBuildDefaultName(t *testing.T) {
	t.Parallel()
	dir := appModule(t, "package main\n\nfunc main() { println(\"app\") }\n")
	before, _ := os.ReadFile(filepath.Join(dir, "cmd/app/main.go"))
	r := run(t, dir, nil, "build", "./cmd/app")
	if r.code != 0 {
		t.Fatalf("unikgen build: exit %d\n%s", r.code, r.stderr)
	}
	info, err := os.Stat(filepath.Join(dir, "app.xen"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "app.xen: "; !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, " bytes") {
		t.Errorf("stdout %q, want %q followed by the size", r.stdout, want)
	}
	if !strings.Contains(r.stdout, ": file "+itoa(info.Size())+" bytes") {
		t.Errorf("stdout %q does not give the size %d", r.stdout, info.Size())
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "cmd/app"))
	after, _ := os.ReadFile(filepath.Join(dir, "cmd/app/main.go"))
	if len(entries) != 1 || !bytes.Equal(before, after) {
		t.Errorf("unikgen build changed the package directory")
	}

	out := filepath.Join(t.TempDir(), "custom.elf")
	if r := run(t, dir, nil, "build", "-o", out, "./cmd/app"); r.code != 0 {
		t.Fatalf("unikgen build -o: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func itoa(n int64) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return fmtInt(n/10) + string(rune('0'+n%10))
}

// TestBuildFailure checks that go build's messages come through unchanged, with exit status 1.
func TestBuildFailure(t *testing.T) {
	t.Parallel()
	dir := appModule(t, "package main\n\nfunc main() {\n\tundefinedName()\n}\n")
	want, _ := func() ([]byte, error) {
		cmd := exec.Command("go", "build", "-o", os.DevNull, "./cmd/app")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
		return cmd.CombinedOutput()
	}()
	for _, sub := range []string{"build", "run"} {
		r := run(t, dir, nil, sub, "./cmd/app")
		if r.code != 1 || r.stderr != string(want) {
			t.Errorf("unikgen %s of a broken program: exit %d, stderr:\n%s\nwant exit 1 and go build's output:\n%s", sub, r.code, r.stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "app.xen")); err == nil {
		t.Error("a failed build wrote app.xen")
	}
}

func TestRunHello(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	r := run(t, moduleRoot(), nil, "run", "./examples/hello")
	if r.code != 0 || r.stdout != "Hello, unikernel!\n" {
		t.Errorf("unikgen run ./examples/hello: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	r := run(t, moduleRoot(), nil, "run", "-generic", "-timeout", "30ms", "./examples/goroutines")
	if r.code != 124 || !strings.Contains(r.stderr, "unikgen: timed out after 30ms; QEMU killed") {
		t.Errorf("run with a short timeout: exit %d, stderr %q; want 124", r.code, r.stderr)
	}
}

// TestRunArgs checks the flag and argument syntax: flags after the package, arguments after --.
func TestRunArgs(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	dir := appModule(t, `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("%q %q\n", os.Args[1:], os.Getenv("GREETING"))
	os.Exit(len(os.Args))
}
`)
	// Not -generic: a generic kernel links the network stack, which prints its address first.
	r := run(t, dir, nil, "run", "./cmd/app", "-env", "GREETING=hi there", "-m", "48", "--", "-m", `a "b"`, "")
	want := `["-m" "a \"b\"" ""] "hi there"` + "\n"
	if r.code != 4 || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 4, stdout %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestErrorsPrefixed checks that unikgen's error messages, of every kind, start with "unikgen: ".
// (go build's and QEMU's messages are passed on unchanged.)
func TestErrorsPrefixed(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"frobnicate"},
		{"build", "-bogus"},
		{"run", "-m", "lots"},
		{"run", "-m", "100000", "./examples/hello"},
		{"generate", "-target", "vmware", "./examples/hello"},
		{"diff", "./no/such"},
		{"build", "./gen/testdata/nonconst"},
		{"explain", "./analysis/testdata/typeerror"},
		{"build", "./analysis/testdata/exec"},
		{"explain", "-why", "nothing", "./examples/hello"},
	} {
		r := run(t, moduleRoot(), nil, args...)
		if r.code == 0 {
			t.Errorf("unikgen %s: exit 0", strings.Join(args, " "))
			continue
		}
		first, _, _ := strings.Cut(r.stderr, "\n")
		if !strings.HasPrefix(first, "unikgen: ") {
			t.Errorf("unikgen %s: stderr starts %q, want \"unikgen: \"", strings.Join(args, " "), first)
		}
	}
}

// TestRunConfigMemory: `unikgen run` gives the guest config.Kernel.MemoryMiB (48 here) unless -m
// says otherwise. The program prints its memory limit, which the kernel derives from the memory it
// found: a little below the machine's.
func TestRunConfigMemory(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	for _, c := range []struct {
		args []string
		mem  int
	}{{nil, 48}, {[]string{"-m", "96"}, 96}} {
		args := append(append([]string{"run"}, c.args...), "./cmd/unikgen/testdata/memcfg")
		r := run(t, moduleRoot(), nil, args...)
		var limit int
		if _, err := fmt.Sscanf(r.stdout, "memory limit: %d MiB\n", &limit); err != nil || r.code != 0 {
			t.Fatalf("unikgen %v: exit %d, stdout %q, stderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
		if limit < c.mem*85/100 || limit >= c.mem {
			t.Errorf("unikgen %v: memory limit %d MiB, want a little below %d MiB", args, limit, c.mem)
		}
	}
}
