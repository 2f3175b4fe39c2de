package kerneltest

import (
	"bytes"
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/services/fs/rootimg"
)

func TestFlagsArgs(t *testing.T) {
	for _, c := range []struct {
		f    Flags
		want []string
	}{
		{Flags{}, []string{"-test.paniconexit0", "-test.timeout=10m0s"}},
		{Flags{Run: "TestA|TestB", Verbose: true, Count: 3, Short: true, Skip: "X", Timeout: 30 * time.Second, Extra: []string{"-test.bench=."}},
			[]string{"-test.paniconexit0", "-test.timeout=30s", "-test.run=TestA|TestB", "-test.skip=X", "-test.v=true", "-test.count=3", "-test.short=true", "-test.bench=."}},
		{Flags{Timeout: -1}, []string{"-test.paniconexit0", "-test.timeout=0s"}},
	} {
		if got := c.f.Args(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v.Args() = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestRootEntries(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{"go.mod": "module m\n", "p/testdata/a/b.txt": "hello", "p/x.go": "package p\n",
		"testdata/top.txt": "top", "p/q/x.go": "package q\n"})
	rel := strings.TrimPrefix(KernelDir(dir), "/")
	paths := func(entries []rootimg.Entry) []string {
		var got []string
		for _, e := range entries {
			got = append(got, strings.TrimPrefix(e.Path, rel))
			if e.Path == rel+"/p/testdata/a/b.txt" && (string(e.Data) != "hello" || e.Mode&rootimg.TypeMask != rootimg.TypeReg) {
				t.Errorf("%s: mode %o data %q, want a regular file holding %q", e.Path, e.Mode, e.Data, "hello")
			}
		}
		if _, err := rootimg.Encode(entries); err != nil {
			t.Errorf("Encode: %v", err)
		}
		return got
	}
	// The package's testdata and the module root's, for package m/p/q (no testdata of its own).
	entries, err := RootEntries(filepath.Join(dir, "p", "q"), dir)
	if err != nil {
		t.Fatal(err)
	}
	got := paths(entries)
	want := []string{"", "/p", "/p/q", "/p/q/x.go", "/p/testdata", "/p/testdata/a", "/p/testdata/a/b.txt", "/testdata", "/testdata/top.txt"}
	if len(got) < len(want) || !reflect.DeepEqual(got[len(got)-len(want):], want) {
		t.Errorf("entries end with %q, want %q", got, want)
	}
	// Outside a module: only the package's own testdata.
	if entries, err = RootEntries(filepath.Join(dir, "p"), ""); err != nil {
		t.Fatal(err)
	}
	got = paths(entries)
	want = []string{"", "/p", "/p/testdata", "/p/testdata/a", "/p/testdata/a/b.txt", "/p/x.go"}
	if len(got) < len(want) || !reflect.DeepEqual(got[len(got)-len(want):], want) {
		t.Errorf("outside a module: entries end with %q, want %q", got, want)
	}
}

func TestKernelDir(t *testing.T) {
	for dir, want := range map[string]string{
		"/home/u/mod/pkg": "/home/u/mod/pkg", "/tmp/x/pkg": "/unikgen-test/tmp/x/pkg", "/tmp": "/unikgen-test/tmp",
		"/tmpfoo/pkg": "/tmpfoo/pkg", "/home/u/../u/mod/": "/home/u/mod",
	} {
		if got := KernelDir(dir); got != want {
			t.Errorf("KernelDir(%q) = %q, want %q", dir, got, want)
		}
	}
}

func TestReport(t *testing.T) {
	for _, c := range []struct {
		r       Result
		verbose bool
		out     string
		errOut  string
	}{
		{Result{ImportPath: "a/b", Outcome: Passed, Elapsed: 120 * time.Millisecond, Output: []byte("PASS\n")}, false, "ok  \ta/b\t0.120s\n", ""},
		{Result{ImportPath: "a/b", Outcome: Failed, Elapsed: 2 * time.Second, Output: []byte("--- FAIL: T\nFAIL\n")}, false, "--- FAIL: T\nFAIL\nFAIL\ta/b\t2.000s\n", ""},
		{Result{ImportPath: "a/b", Outcome: Failed, Elapsed: 2 * time.Second, Output: []byte("--- FAIL: T\nFAIL\n")}, true, "FAIL\ta/b\t2.000s\n", ""},
		{Result{ImportPath: "a/b", Outcome: NoTests}, false, "?   \ta/b\t[no test files]\n", ""},
		{Result{ImportPath: "a/b", Outcome: BuildFailed, Output: []byte("x.go:1: bad\n")}, false, "FAIL\ta/b [build failed]\n", "x.go:1: bad\n"},
	} {
		var out, errOut bytes.Buffer
		report(&out, &errOut, c.r, c.verbose)
		if out.String() != c.out || errOut.String() != c.errOut {
			t.Errorf("report(%+v, verbose %v): stdout %q stderr %q, want %q %q", c.r, c.verbose, out.String(), errOut.String(), c.out, c.errOut)
		}
	}
}

// calcModule is a module whose package calc has a passing test that reads testdata and a failing
// test, and whose package empty has no tests.
var calcModule = map[string]string{
	"calc/calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
	"calc/calc_test.go": `package calc

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestAdd(t *testing.T) {
	b, err := os.ReadFile("testdata/sum.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Add(2, 3), strings.TrimSpace(string(b)); want != "5" || got != 5 {
		t.Fatalf("Add(2, 3) = %d, testdata says %q", got, want)
	}
	_, file, _, _ := runtime.Caller(0) // the absolute path, as go test does not trim
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "testdata", "sum.txt")); err != nil {
		t.Fatal(err)
	}
	t.Log("add ok")
	for _, f := range []string{"../testdata/top.txt", "calc.go"} { // the module root's testdata, a source file
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBroken(t *testing.T) {
	t.Errorf("broken on purpose: %d", Add(1, 1))
}
`,
	"calc/example_test.go": `package calc_test

import (
	"fmt"

	"example.com/app/calc"
)

func ExampleAdd() {
	fmt.Println(calc.Add(1, 2))
	// Output: 3
}

func ExampleAdd_noOutput() { calc.Add(0, 0) }

func ExampleAdd_wrong() {
	fmt.Println(calc.Add(2, 2))
	// Output: 5
}
`,
	"calc/testdata/sum.txt": "5\n",
	"testdata/top.txt":      "top\n",
	"empty/empty.go":        "package empty\n",
}

func TestBoot(t *testing.T) {
	testenv.NeedBoot(t, "boots QEMU")
	testenv.NeedGo(t)
	dir := t.TempDir()
	testenv.WriteModule(t, dir, maps.Clone(calcModule)) // WriteModule adds go.mod to the map
	var stderr string
	run := func(f Flags, patterns ...string) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		res, err := Run(ctx, Options{Dir: dir, Patterns: patterns, Flags: f, MemoryMiB: 128, Stdout: &out, Stderr: &errOut})
		if err != nil {
			t.Fatalf("Run: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		}
		stderr = errOut.String()
		return out.String(), ExitStatus(res)
	}

	out, status := run(Flags{}, "./...")
	for _, want := range []string{
		"--- FAIL: TestBroken (", "calc_test.go:32: broken on purpose: 2\n", "\nFAIL\nFAIL\texample.com/app/calc\t",
		"?   \texample.com/app/empty\t[no test files]\n",
		// The testing package captured the example's output through a pipe (pipe2).
		"--- FAIL: ExampleAdd_wrong (", "got:\n4\nwant:\n5\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("all tests: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "TestAdd") || !strings.HasSuffix(out, "\nFAIL\n") || status != 1 {
		t.Errorf("all tests: status %d, output:\n%s\nwant status 1, TestAdd passing silently, a last line FAIL", status, out)
	}

	if strings.Contains(out, "ExampleAdd (") || stderr != "" {
		t.Errorf("all tests: ExampleAdd did not pass silently, or stderr %q:\n%s", stderr, out)
	}

	out, status = run(Flags{Run: "^TestAdd$", Verbose: true}, "./calc")
	want := "=== RUN   TestAdd\n    calc_test.go:23: add ok\n--- PASS: TestAdd ("
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "\nPASS\nok  \texample.com/app/calc\t") || strings.Contains(out, "TestBroken") || status != 0 {
		t.Errorf("-run ^TestAdd$ -v: status %d, output:\n%s\nwant status 0, starting with %q, then PASS and ok", status, out, want)
	}
}
