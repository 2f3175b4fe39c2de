package xenboot

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/pipeline"
)

// program is a program of internal/boottest's TestBoot with its expectations, which TestXen
// checks under Xen (the same programs, the same golden files).
type program struct {
	name    string   // test name
	pkg     string   // package directory, relative to the module root
	env     []string // KEY=VALUE on the kernel command line
	args    []string // os.Args[1:]
	status  int
	golden  string   // expected exact console output in internal/boottest/testdata/<golden>, or ""
	exact   string   // expected exact console output, or ""
	contain []string // strings the console output must contain
}

// programs are the entries of internal/boottest's programs that TestXen boots (keep them equal).
var programs = []program{
	{name: "hello", pkg: "examples/hello", golden: "hello.golden"},
	{name: "goroutines", pkg: "examples/goroutines", golden: "goroutines.golden"},
	{name: "panic", pkg: "internal/boottest/testdata/panic", status: 2,
		contain: []string{"about to panic\n", "panic: boom 42\n", "goroutine 1 [running]:\n", "main.main()\n"}},
	sealCase("write-text"), sealCase("exec-data"), sealCase("exec-heap"),
	{name: "stack-guard", pkg: "internal/boottest/testdata/stackguard", status: 0,
		exact: "writing down the main thread's stack\nfaulted 8 MiB below the top of the stack: true\n"},
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

// want returns the exact expected output of p, or "" when only substrings are checked.
func (p program) want(t *testing.T) string {
	if p.golden == "" {
		return p.exact
	}
	b, err := os.ReadFile(filepath.Join(moduleRoot(), "internal", "boottest", "testdata", p.golden))
	if err != nil {
		t.Fatal(err)
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

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "unikgen-xenboot-")
	if err != nil {
		panic(err)
	}
	images.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kernel returns the generic kernel image of pkg (every component), building it on first use.
func kernel(t *testing.T, pkg string) string {
	t.Helper()
	images.Lock()
	if images.built == nil {
		images.built = map[string]*builtImage{}
	}
	b := images.built[pkg]
	if b == nil {
		b = &builtImage{}
		images.built[pkg] = b
	}
	dir := images.dir
	images.Unlock()
	b.once.Do(func() {
		b.path = filepath.Join(dir, strings.ReplaceAll(pkg, "/", "_")+".xen")
		_, b.err = build.Build(context.Background(), build.Options{Dir: moduleRoot(), Package: "./" + pkg, Output: b.path})
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", pkg, b.err)
	}
	return b.path
}

// buildSpecialised generates and builds pkg (relative to the module root) as `unikgen build`
// does, with rootfs (relative to the module root) baked in.
func buildSpecialised(t *testing.T, pkg, rootfs string) (*gen.Result, string) {
	t.Helper()
	ctx := context.Background()
	o := gen.Options{Dir: moduleRoot(), Package: "./" + pkg}
	abs := filepath.Join(moduleRoot(), rootfs)
	o.Overrides.RootFS = &abs
	out := filepath.Join(t.TempDir(), "kernel.xen")
	r, err := pipeline.Build(ctx, pipeline.Options{Gen: o, Output: out})
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	return r.Gen, out
}

// treeDigest is the digest that internal/boottest/testdata/files prints for a tree (the same
// function as internal/boottest's).
func treeDigest(t *testing.T, root string) string {
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		n++
		fmt.Fprintf(h, "%s %v\n", rel, d.Type())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %s\n", l)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x %d", h.Sum(nil), n)
}
