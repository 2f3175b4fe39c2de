package analysis_test

// Golden tests: one directory per case under testdata, each a small main
// package. A case's expected output lives in its want/ directory:
//
//	want/result.json      the Result as indented JSON, paths scrubbed, without
//	                      what changes with the Go release (see goldenResult)
//	want/unsupported.txt  the unsupported-API diagnostics, as go vet prints them
//	want/error.txt        for cases that must fail: the error text
//
// Cases in the repository's module are loaded together (one go/packages
// load, one SSA program); a case with its own go.mod is a separate module
// and is loaded from its directory, as are error cases. Directories whose
// names start with "_" or "." are skipped.
//
// Run `go test ./analysis -run Golden -update` to rewrite the want/ files.
//
// The tests run in parallel so that the separate loads overlap the shared
// one (about 750 MB resident at peak).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/analysis"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/*/want")

const testdataPkg = "github.com/unikgen/unikgen/analysis/testdata/"

type goldenCase struct {
	name    string
	dir     string // absolute
	module  bool   // has its own go.mod
	wantErr bool   // want/error.txt exists
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir, _ := filepath.Abs(filepath.Join("testdata", e.Name()))
		c := goldenCase{name: e.Name(), dir: dir}
		_, err := os.Stat(filepath.Join(dir, "go.mod"))
		c.module = err == nil
		_, err = os.Stat(filepath.Join(dir, "want", "error.txt"))
		c.wantErr = err == nil
		cases = append(cases, c)
	}
	return cases
}

// shared loads the in-module cases once for all tests of the package.
var shared struct {
	once    sync.Once
	results map[string]*analysis.Result
	err     error
}

func sharedResults(t *testing.T, cases []goldenCase) map[string]*analysis.Result {
	t.Helper()
	shared.once.Do(func() {
		var patterns []string
		for _, c := range cases {
			if !c.module && !c.wantErr {
				patterns = append(patterns, "./testdata/"+c.name)
			}
		}
		rs, err := analysis.AnalyzeAll(context.Background(), analysis.Config{Patterns: patterns})
		if err != nil {
			shared.err = err
			return
		}
		shared.results = map[string]*analysis.Result{}
		for _, r := range rs {
			shared.results[strings.TrimPrefix(r.Package, testdataPkg)] = r
		}
	})
	if shared.err != nil {
		t.Fatalf("AnalyzeAll: %v", shared.err)
	}
	return shared.results
}

func TestGolden(t *testing.T) {
	t.Parallel()
	cases := goldenCases(t)
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	results := sharedResults(t, cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *analysis.Result
			var err error
			switch {
			case c.module || c.wantErr:
				r, err = analysis.Analyze(context.Background(), analysis.Config{Dir: c.dir})
			default:
				r = results[c.name]
				if r == nil {
					t.Fatalf("no result for %s", c.name)
				}
			}
			if c.wantErr {
				if err == nil {
					t.Fatalf("Analyze succeeded, want an error (want/error.txt)")
				}
				compare(t, c, "error.txt", []byte(scrub(err.Error(), c.dir)+"\n"))
				return
			}
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			js, err := json.MarshalIndent(golden(r), "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			compare(t, c, "result.json", []byte(scrub(string(js), c.dir)+"\n"))
			var txt strings.Builder
			for _, d := range r.Unsupported {
				txt.WriteString(d.String())
				txt.WriteString("\n")
			}
			compare(t, c, "unsupported.txt", []byte(scrub(txt.String(), c.dir)))
		})
	}
}

// goldenResult is the part of a Result that the goldens hold: what does not change with the Go
// release (the goldens hold for the go.mod toolchain and go1.27.3). Left out: the sizes (Stats),
// the packages of the standard library, the system calls that only the Go runtime makes
// (rt_sigreturn until Go 1.27), whether the runtime also makes one that the program makes, whether
// a system call is uncertain (which edges type flow confirms inside the standard library), the
// steps of witness paths inside the standard library (analysis.CutAtStandard), and the witnesses
// of toolchainDependent. TestGoldenSemantics checks some of them.
type goldenResult struct {
	Package      string                `json:"package"`
	Module       string                `json:"module,omitempty"`
	Target       analysis.Target       `json:"target"`
	Syscalls     analysis.Syscalls     `json:"syscalls"`
	Capabilities []analysis.Capability `json:"capabilities"`
	Reflection   analysis.Reflection   `json:"reflection"`
	Unsupported  []analysis.Diagnostic `json:"unsupported"`
	Packages     []string              `json:"packages"`
}

// toolchainDependent are, by case, the capabilities whose witness (and whether it is uncertain)
// changes with the Go release, so that their golden has neither:
//   - constfalse: from Go 1.27, net's init reads files (a certain path from init; before, a
//     shortest path from main through fmt.Println, unconfirmed by type flow);
//   - goroutines: paths of the same length through time.After and through fmt.Println, the
//     first found depending on the standard library's call graph.
var toolchainDependent = map[string][]string{
	"constfalse": {"files"},
	"goroutines": {"signals", "process"},
}

func golden(r *analysis.Result) goldenResult {
	cut := func(p analysis.Path) analysis.Path { return analysis.CutAtStandard(p, r.Package) }
	g := goldenResult{Package: r.Package, Module: r.Module, Target: r.Target, Reflection: r.Reflection,
		Unsupported: r.Unsupported, Packages: []string{}, Capabilities: []analysis.Capability{}}
	g.Syscalls = analysis.Syscalls{All: r.Syscalls.All, Calls: []analysis.Syscall{}}
	for _, u := range r.Syscalls.Unknown {
		u.Path = cut(u.Path)
		g.Syscalls.Unknown = append(g.Syscalls.Unknown, u)
	}
	for _, c := range r.Syscalls.Calls {
		if c.Program {
			c.Runtime, c.Uncertain = false, false
			g.Syscalls.Calls = append(g.Syscalls.Calls, c)
		}
	}
	for _, c := range r.Capabilities {
		c.Witness = cut(c.Witness)
		c.Kinds = append([]analysis.Kind(nil), c.Kinds...)
		for i := range c.Kinds {
			c.Kinds[i].Witness = cut(c.Kinds[i].Witness)
		}
		if slices.Contains(toolchainDependent[strings.TrimPrefix(r.Package, testdataPkg)], c.Name) {
			c.Witness, c.Uncertain = nil, false
		}
		g.Capabilities = append(g.Capabilities, c)
	}
	g.Reflection.Witness = cut(r.Reflection.Witness)
	for _, p := range r.Packages {
		if !analysis.IsStandard(p, r.Package) {
			g.Packages = append(g.Packages, p)
		}
	}
	return g
}

// scrub replaces machine-dependent paths: the case directory by "$DIR", the
// repository by "$REPO" and GOROOT by "$GOROOT"; positions in the standard
// library lose their line and column, which change with every Go release.
func scrub(s, dir string) string {
	repo, _ := filepath.Abs("..")
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = strings.ReplaceAll(s, repo, "$REPO")
	s = strings.ReplaceAll(s, runtime.GOROOT(), "$GOROOT")
	return stdPosition.ReplaceAllString(s, "$1")
}

// stdPosition matches a position in the standard library after scrubbing:
// $GOROOT/src/fmt/print.go:315:21.
var stdPosition = regexp.MustCompile(`(\$GOROOT/[^\s:"()]+\.(?:go|s)):\d+(?::\d+)?`)

func compare(t *testing.T, c goldenCase, name string, got []byte) {
	t.Helper()
	file := filepath.Join(c.dir, "want", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run `go test ./analysis -run Golden -update` if the change is intended):\n%s",
			file, diffLines(string(want), string(got)))
	}
}

// diffLines is a small line diff: the lines only in want (-) and only in
// got (+), at most 40 of them.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	inW, inG := map[string]int{}, map[string]int{}
	for _, l := range w {
		inW[l]++
	}
	for _, l := range g {
		inG[l]++
	}
	var out []string
	for _, l := range w {
		if inG[l] == 0 {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if inW[l] == 0 {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 {
		return "(same lines, different order or multiplicity)"
	}
	if len(out) > 40 {
		out = append(out[:40], "...")
	}
	return strings.Join(out, "\n")
}

// TestGoldenSemantics checks the properties the golden cases exist for, so
// that an -update cannot silently accept a wrong answer.
func TestGoldenSemantics(t *testing.T) {
	t.Parallel()
	results := sharedResults(t, goldenCases(t))
	get := func(name string) *analysis.Result {
		r := results[name]
		if r == nil {
			t.Fatalf("no result for %s", name)
		}
		return r
	}
	hasCap := func(r *analysis.Result, name string) bool {
		_, ok := r.Capability(name)
		return ok
	}

	hello := get("hello")
	if len(hello.Unsupported) != 0 {
		t.Errorf("hello: unexpected unsupported uses: %v", hello.Unsupported)
	}
	if !hasCap(hello, "console") || hasCap(hello, "sockets") {
		t.Errorf("hello: want console and no sockets, got %v", capNames(hello))
	}
	for _, sc := range []string{"write", "mmap", "futex", "clone", "exit_group", "rt_sigaction"} {
		if _, ok := hello.Syscall(sc); !ok {
			t.Errorf("hello: system call %s missing", sc)
		}
	}
	if hello.Syscalls.All {
		t.Errorf("hello: a non-constant system call number: %v", hello.Syscalls.Unknown)
	}
	if hello.Reflection.AllMethods {
		t.Errorf("hello: reflection rule triggered: %v", hello.Reflection.Witness)
	}

	cf := get("constfalse")
	if hasCap(cf, "sockets") {
		c, _ := cf.Capability("sockets")
		t.Errorf("constfalse: sockets present behind a false constant: %v", c.Witness)
	}
	if _, ok := cf.Syscall("socket"); ok {
		t.Errorf("constfalse: socket system call present")
	}

	ex := get("exec")
	if len(ex.Unsupported) != 1 {
		t.Fatalf("exec: want 1 diagnostic, got %d: %v", len(ex.Unsupported), ex.Unsupported)
	}
	d := ex.Unsupported[0]
	if !strings.HasSuffix(d.Pos, "testdata/exec/main.go:15:43") || d.Category != "process" || d.API != "os.StartProcess" {
		t.Errorf("exec: diagnostic = %+v", d)
	}
	if len(d.Path) < 3 || !strings.HasSuffix(d.Path[0].Func, ".main") || d.Path[1].Func != testdataPkg+"exec.run" {
		t.Errorf("exec: path does not start main -> run: %v", d.Path)
	}

	rn := get("reflectname")
	if !rn.Reflection.AllMethods || len(rn.Reflection.Witness) == 0 {
		t.Errorf("reflectname: reflection rule not triggered: %+v", rn.Reflection)
	}
	if len(rn.Unsupported) != 0 {
		t.Errorf("reflectname: methods kept by reflection must not make unsupported uses: %v", rn.Unsupported)
	}

	hs := get("httpserver")
	sock, ok := hs.Capability("sockets")
	if !ok {
		t.Fatalf("httpserver: no sockets capability; have %v", capNames(hs))
	}
	kinds := map[string]bool{}
	for _, k := range sock.Kinds {
		kinds[k.Name] = true
	}
	if !kinds["tcp4"] || !kinds["tcp6"] || kinds["unix"] {
		t.Errorf("httpserver: socket kinds = %v, want tcp4 and tcp6, not unix", sock.Kinds)
	}
	for _, sc := range []string{"socket", "bind", "listen", "accept4", "epoll_pwait"} {
		if _, ok := hs.Syscall(sc); !ok {
			t.Errorf("httpserver: system call %s missing", sc)
		}
	}
	if hs.Stats.Reachable <= hello.Stats.Reachable {
		t.Errorf("httpserver reaches %d functions, hello %d", hs.Stats.Reachable, hello.Stats.Reachable)
	}

	rs := get("rawsyscall")
	if !rs.Syscalls.All || len(rs.Syscalls.Unknown) != 1 || !strings.HasSuffix(rs.Syscalls.Unknown[0].Pos, "rawsyscall/main.go:20:33") {
		t.Errorf("rawsyscall: want one non-constant site at main.go:20:33, got all=%v %v", rs.Syscalls.All, rs.Syscalls.Unknown)
	}
	if sc, ok := rs.Syscall("getpid"); !ok || !sc.Program {
		t.Errorf("rawsyscall: getpid from the program missing: %+v", sc)
	}
	if c, ok := rs.Capability("sockets"); !ok || len(c.Kinds) != 1 || c.Kinds[0].Name != "udp4" {
		t.Errorf("rawsyscall: sockets = %+v, want exactly udp4", c)
	}

	cp := get("capabilities")
	for _, name := range []string{"console", "clock", "random", "sockets", "files", "signals"} {
		if c, ok := cp.Capability(name); !ok || c.Uncertain {
			t.Errorf("capabilities: %s = %+v, %v; want a certain use", name, c.Witness, ok)
		}
	}
	if c, _ := cp.Capability("sockets"); !hasKind(c, "unix") {
		t.Errorf("capabilities: socket kinds %v lack unix", c.Kinds)
	}

	ed := get("execdynamic")
	if len(ed.Unsupported) != 1 || !strings.HasSuffix(ed.Unsupported[0].Pos, "execdynamic/main.go:14:19") {
		t.Errorf("execdynamic: diagnostics = %v, want one at the interface call", ed.Unsupported)
	}

	fk := get("forksyscall")
	if len(fk.Unsupported) != 1 || !strings.HasSuffix(fk.Unsupported[0].Pos, "forksyscall/main.go:11:37") ||
		fk.Unsupported[0].API != "syscall.RawSyscall(SYS_FORK)" {
		t.Errorf("forksyscall: diagnostics = %v", fk.Unsupported)
	}

	pl := get("plugin")
	if len(pl.Unsupported) != 1 || pl.Unsupported[0].Category != "plugin" {
		t.Errorf("plugin: diagnostics = %v", pl.Unsupported)
	}
	cg := get("cgo")
	if len(cg.Unsupported) != 1 || cg.Unsupported[0].Category != "cgo" ||
		!strings.HasSuffix(cg.Unsupported[0].Pos, "answer_cgo.go:6:8") {
		t.Errorf("cgo: diagnostics = %v", cg.Unsupported)
	}
}

func hasKind(c analysis.Capability, kind string) bool {
	for _, k := range c.Kinds {
		if k.Name == kind {
			return true
		}
	}
	return false
}

func capNames(r *analysis.Result) []string {
	var names []string
	for _, c := range r.Capabilities {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

func TestWhy(t *testing.T) {
	t.Parallel()
	r := sharedResults(t, goldenCases(t))["exec"]
	if r == nil {
		t.Fatal("no exec result")
	}
	for _, tc := range []struct {
		name    string
		wantEnd string // suffix of the last step's function
	}{
		{"os.StartProcess", "os.StartProcess"},
		{"(*os/exec.Cmd).Run", "(*os/exec.Cmd).Run"},
		{"os/exec.(*Cmd).Run", "(*os/exec.Cmd).Run"},
		{"console", "os.Stdout"},
		{"capability:console", "os.Stdout"},
		{"syscall:write", ""},
		{"exit_group", ""},
		{"os/exec", "os/exec"},
	} {
		p, err := r.Why(tc.name)
		if err != nil {
			t.Errorf("Why(%q): %v", tc.name, err)
			continue
		}
		if len(p) == 0 {
			t.Errorf("Why(%q): empty path", tc.name)
			continue
		}
		if last := p[len(p)-1].Func; !strings.Contains(last, tc.wantEnd) {
			t.Errorf("Why(%q) ends at %s, want %s", tc.name, last, tc.wantEnd)
		}
	}
	for _, bad := range []string{"no.such.Func", "capability:sockets", "syscall:nosuchcall"} {
		if p, err := r.Why(bad); err == nil {
			t.Errorf("Why(%q) = %v, want an error", bad, p)
		}
	}
}

// TestJSONRoundTrip checks that a Result survives JSON and still answers
// the queries that need no call graph.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := sharedResults(t, goldenCases(t))["httpserver"]
	if r == nil {
		t.Fatal("no httpserver result")
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back analysis.Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	js2, _ := json.Marshal(&back)
	if !bytes.Equal(js, js2) {
		t.Errorf("JSON round trip changed the result")
	}
	if !back.Reaches("net/http") || back.Reaches("os/exec") {
		t.Errorf("Reaches(net/http) = %v, Reaches(os/exec) = %v", back.Reaches("net/http"), back.Reaches("os/exec"))
	}
	if p, err := back.Why("capability:sockets/tcp4"); err != nil || len(p) == 0 {
		t.Errorf("Why(capability:sockets/tcp4) on decoded result: %v, %v", p, err)
	}
	if _, err := back.Why("net.Listen"); err == nil {
		t.Errorf("Why(net.Listen) on a decoded result succeeded without a graph")
	}
}

// TestOverlay adds a file through the overlay, as unikgen build does with
// its boot import: the analysis must see it.
func TestOverlay(t *testing.T) {
	t.Parallel()
	dir, _ := filepath.Abs("testdata/plugin")
	extra := filepath.Join(dir, "zz_overlay.go")
	r, err := analysis.Analyze(context.Background(), analysis.Config{
		Dir: dir,
		Overlay: map[string][]byte{
			extra: []byte("package main\n\nimport \"os/signal\"\n\nfunc init() { signal.Ignore() }\n"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reaches("os/signal") {
		t.Errorf("the overlay file's import is not reachable")
	}
	if c, ok := r.Capability("signals"); !ok || c.Uncertain {
		t.Errorf("signals capability = %+v, %v; want a certain one from the overlay's init", c, ok)
	}
}

func TestLoadErrorType(t *testing.T) {
	t.Parallel()
	dir, _ := filepath.Abs("testdata/typeerror")
	_, err := analysis.Analyze(context.Background(), analysis.Config{Dir: dir})
	var le *analysis.ErrorList
	if !errors.As(err, &le) || len(le.Errors) == 0 {
		t.Fatalf("err = %v (%T), want *analysis.ErrorList", err, err)
	}
	if !strings.Contains(le.Errors[0], "main.go:6:14") {
		t.Errorf("error not positioned at main.go:6:14: %q", le.Errors[0])
	}
}
