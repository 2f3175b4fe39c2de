package boottest

import (
	"bytes"
	"context"
	"flag"
	"github.com/unikgen/unikgen/internal/libos"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the programs run on Linux")

// A program is one Go main package to boot, with its expected behaviour.
type program struct {
	name    string   // test name
	pkg     string   // package directory, relative to the module root
	env     []string // KEY=VALUE on the kernel command line
	args    []string // os.Args[1:]
	machine string   // QEMU machine; "" is microvm
	status  int
	golden  string   // expected exact console output in testdata/<golden>, or ""
	exact   string   // expected exact console output, or ""
	contain []string // strings the console output must contain
}

var programs = []program{
	{name: "hello", pkg: "examples/hello", golden: "hello.golden"},
	{name: "goroutines", pkg: "examples/goroutines", golden: "goroutines.golden"},
	{name: "hello-q35", pkg: "examples/hello", golden: "hello.golden", machine: qemu.Q35},
	{name: "exit7", pkg: "internal/boottest/testdata/exit7", status: 7, exact: "exiting with 7\n"},
	{name: "exit0", pkg: "internal/boottest/testdata/exit0", status: 0, exact: "exiting with 0\n"},
	{name: "panic", pkg: "internal/boottest/testdata/panic", status: 2,
		contain: []string{"about to panic\n", "panic: boom 42\n", "goroutine 1 [running]:\n", "main.main()\n"}},
	{name: "nilptr", pkg: "internal/boottest/testdata/nilptr", status: 2,
		contain: []string{"about to dereference nil\n", "panic: runtime error: invalid memory address or nil pointer dereference\n",
			"[signal SIGSEGV: segmentation violation", "goroutine 1 [running]:\n", "main.depth("}},
	{name: "args", pkg: "internal/boottest/testdata/args", status: 5,
		args:  []string{"plain", "two words", `say "hi"`, `back\slash`, ""},
		exact: "5\n\"plain\"\n\"two words\"\n\"say \\\"hi\\\"\"\n\"back\\\\slash\"\n\"\"\n"},
	{name: "args-none", pkg: "internal/boottest/testdata/args", status: 0, exact: "0\n"},
	{name: "args-like-env", pkg: "internal/boottest/testdata/args", status: 2,
		args: []string{"K=V", "--"}, exact: "2\n\"K=V\"\n\"--\"\n"},
	{name: "threads", pkg: "internal/boottest/testdata/threads", status: 0,
		exact: "round 1: 1000 goroutines on distinct locked threads\n" +
			"round 2: 1000 goroutines on distinct locked threads\n" +
			"all finished\n"},
	// The sealed address space: each case must end as on Linux, in a fault the Go runtime
	// reports (SEGV_ACCERR: the page is there, the access is not allowed).
	sealCase("write-text"), sealCase("write-rodata"), sealCase("exec-data"), sealCase("exec-bss"),
	sealCase("exec-heap"), sealCase("exec-stack"),
	{name: "stack-guard", pkg: "internal/boottest/testdata/stackguard", status: 0,
		exact: "writing down the main thread's stack\nfaulted 8 MiB below the top of the stack: true\n"},
	{name: "stack-overflow", pkg: "internal/boottest/testdata/overflow", status: 2,
		contain: []string{"recursing\n", "runtime: goroutine stack exceeds 8388608-byte limit\n", "fatal error: stack overflow"}},
	{name: "env", pkg: "internal/boottest/testdata/env", status: 0,
		env:   []string{"UNIKGEN_GREETING=hello, \"world\"", "UNIKGEN_EMPTY="},
		exact: "UNIKGEN_GREETING=\"hello, \\\"world\\\"\" true\nUNIKGEN_UNSET set: false\nUNIKGEN_EMPTY=\"\"\n"},
}

// sealCase is the seal program run with what as its argument.
func sealCase(what string) program {
	return program{name: "seal-" + what, pkg: "internal/boottest/testdata/seal", args: []string{what}, status: 2,
		contain: []string{"about to " + what + "\n", "unexpected fault address 0x", "fatal error: fault\n",
			"[signal SIGSEGV: segmentation violation code=0x2 addr=0x"}}
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// images builds each package once per test binary.
var images struct {
	sync.Mutex
	dir   string
	built map[string]*builtImage
}

type builtImage struct {
	once sync.Once
	path string
	err  error
}

// kernel returns the generic kernel image of pkg (every component), building it on first use.
func kernel(t *testing.T, pkg string) string { return kernelOf(t, pkg, true) }

// specialised returns the kernel image of pkg that the generator specialises for it, as
// `unikgen build` makes it, building it on first use.
func specialised(t *testing.T, pkg string) string { return kernelOf(t, pkg, false) }

func kernelOf(t *testing.T, pkg string, generic bool) string {
	t.Helper()
	key := pkg
	if !generic {
		key += " specialised"
	}
	images.Lock()
	if images.built == nil {
		images.built = map[string]*builtImage{}
	}
	b := images.built[key]
	if b == nil {
		b = &builtImage{}
		images.built[key] = b
	}
	dir := images.dir
	images.Unlock()
	b.once.Do(func() {
		name := strings.ReplaceAll(pkg, "/", "_")
		if !generic {
			b.path = filepath.Join(dir, name+"-specialised.xen")
			_, b.err = pipeline.Build(context.Background(), pipeline.Options{Output: b.path,
				Gen: gen.Options{Dir: moduleRoot(), Package: "./" + pkg}})
			return
		}
		// The committed generic composition root (runtime/boot/config_gen.go), without the generator.
		b.path = filepath.Join(dir, name+".xen")
		_, b.err = build.Build(context.Background(), build.Options{Dir: moduleRoot(), Package: "./" + pkg, Output: b.path})
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", pkg, b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	if os.Getenv(spinEnv) != "" {
		spin() // a CPU hog for TestClockRate
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "unikgen-boottest-")
	if err != nil {
		panic(err)
	}
	images.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// want returns the exact expected output of p, or "" when only substrings are checked.
func (p program) want(t *testing.T) string {
	if p.golden == "" {
		return p.exact
	}
	b, err := os.ReadFile(filepath.Join("testdata", p.golden))
	if err != nil {
		t.Fatalf("%v (run go test -run TestLinux -update to create it)", err)
	}
	return string(b)
}

func (p program) check(t *testing.T, where, out string, status int) {
	t.Helper()
	if status != p.status {
		t.Errorf("%s: exit status %d, want %d; output:\n%s", where, status, p.status, out)
	}
	if want := p.want(t); want != "" && out != want {
		t.Errorf("%s: output\n%s\nwant\n%s", where, out, want)
	}
	for _, s := range p.contain {
		if !strings.Contains(out, s) {
			t.Errorf("%s: output does not contain %q; output:\n%s", where, s, out)
		}
	}
}

// TestBoot boots every program under QEMU (TCG, microvm).
func TestBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels; skipped with -short")
	}
	testenv.NeedQEMU(t)
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			img := kernel(t, p.pkg)
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, Env: p.env, Args: p.args, Machine: p.machine, Console: &console, Timeout: 120 * time.Second,
			})
			if err != nil {
				t.Fatalf("%v; console:\n%s", err, console.String())
			}
			if !res.Exact {
				t.Errorf("the kernel did not report the status on the debug console (QEMU's exit code gave %d)", res.Status)
			}
			p.check(t, "kernel", console.String(), res.Status)
			t.Logf("%s: status %d in %v", p.name, res.Status, res.Wall.Round(time.Millisecond))
		})
	}
}

// TestLinux runs every program as an ordinary Linux program: the expectations of TestBoot must
// hold there too. With -update it rewrites the golden files from this run.
func TestLinux(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs linux/amd64")
	}
	if testing.Short() {
		t.Skip("builds programs; skipped with -short")
	}
	dir := t.TempDir()
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			bin := filepath.Join(dir, strings.ReplaceAll(p.pkg, "/", "_"))
			if _, err := os.Stat(bin); err != nil {
				cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./"+p.pkg)
				cmd.Dir = moduleRoot()
				cmd.Env = append(os.Environ(), libos.BuildEnv()...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build: %v\n%s", err, out)
				}
			}
			cmd := exec.Command(bin, p.args...)
			cmd.Env = append([]string{}, p.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if *update && p.golden != "" {
				if err := os.WriteFile(filepath.Join("testdata", p.golden), out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p.check(t, "linux", out.String(), status)
		})
	}
}
