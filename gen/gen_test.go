package gen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/textdiff"
)

var update = flag.Bool("update", false, "rewrite the want/ files of gen/testdata from the current output")

// caseOptions is a case's options.json: the CLI overrides it is generated with.
type caseOptions struct {
	Generic bool           `json:"generic"`
	Target  *config.Target `json:"target"`
	// ConfigError marks a case that fails before analysis: it is left out of the shared analysis.
	ConfigError bool `json:"config_error"`
	// ToolchainDependent are the components whose witness (and maybe) change with the Go
	// release: their goldens have neither. Why says why.
	ToolchainDependent []string `json:"toolchain_dependent"`
	Why                string   `json:"why"`
}

// TestGolden generates every case under testdata: want/plan.json, want/config_gen.go (the
// composition root) and want/unikgen_kernel.json (the record) for programs that generate, and
// want/errors.txt for those that fail (configuration errors, unsupported APIs). Paths are scrubbed
// to $MODULE and $GOROOT, and positions in the standard library lose their line and column, so
// that a new Go release does not change the goldens. The composition root must compile. Run with
// -update to rewrite the want/ files (after the compile step passed).
func TestGolden(t *testing.T) {
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name string
		opts caseOptions
	}
	var cases []tc
	var analyse []string
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || e.Name() == "fuzz" { // fuzz: the fuzz targets' corpus
			continue
		}
		c := tc{name: e.Name()}
		if b, err := os.ReadFile(filepath.Join("testdata", c.name, "options.json")); err == nil {
			if err := json.Unmarshal(b, &c.opts); err != nil {
				t.Fatalf("%s/options.json: %v", c.name, err)
			}
		}
		cases = append(cases, c)
		if !c.opts.Generic && !c.opts.ConfigError {
			analyse = append(analyse, "./testdata/"+c.name)
		}
	}
	results := analyseAll(t, analyse)

	modRoot, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.NewReplacer(modRoot, "$MODULE", runtime.GOROOT(), "$GOROOT")
	scrub := scrubber{paths}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", c.name)
			o := gen.Options{Package: "./" + filepath.ToSlash(dir), Generic: c.opts.Generic}
			o.Overrides.Target = c.opts.Target
			o.Analysis = results["github.com/unikgen/unikgen/gen/testdata/"+c.name]
			got := map[string][]byte{}
			r, err := gen.Generate(context.Background(), o)
			if err == nil {
				err = r.Unsupported()
			}
			if err != nil {
				got["errors.txt"] = []byte(scrub.Replace(err.Error()) + "\n")
				var ce gen.ConfigErrors
				var ue *gen.UnsupportedError
				if !errors.As(err, &ce) && !errors.As(err, &ue) {
					t.Errorf("error of type %T, want gen.ConfigErrors or *gen.UnsupportedError: %v", err, err)
				}
			}
			if r != nil {
				gp := goldenPlan(r.Plan, c.opts.ToolchainDependent)
				b, err := json.MarshalIndent(gp, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got["plan.json"] = []byte(scrub.Replace(string(b)) + "\n")
				got[gen.CompositionRootFile] = r.BootOverlay[gen.CompositionRootFile]
				if len(r.Files) != 1 || filepath.Base(r.Files[0].Path) != gen.RecordName {
					t.Fatalf("Files = %v, want one %s", r.Files, gen.RecordName)
				}
				got[gen.RecordName] = r.Files[0].Content
				if len(c.opts.ToolchainDependent) > 0 {
					if rec, err := gen.Record(r.Plan); err != nil || !bytes.Equal(rec, r.Files[0].Content) {
						t.Fatalf("Record(plan) is not the record written (%v)", err)
					}
					if got[gen.RecordName], err = gen.Record(gp); err != nil {
						t.Fatal(err)
					}
				}
			}
			if check := checks[c.name]; check != nil && r != nil {
				check(t, r)
			}
			if r != nil {
				compileBoot(t, r.BootOverlay) // before -update writes, and so that want/ compiles
			}
			compare(t, filepath.Join(dir, "want"), got)
		})
	}
}

// goldenPlan is p as its golden plan.json holds it: witness paths cut at the standard library
// (analysis.CutAtStandard), whose functions and their names change with the Go release, so that
// the goldens hold for the go.mod toolchain and the next one (.ci/run checks go1.27.3). The
// unsupported APIs' paths stay whole: they are the user's error messages, and errors.txt has them.
// The components named in toolchainDependent (the case's options.json) have no witness and are
// not "maybe".
func goldenPlan(p *plan.Plan, toolchainDependent []string) *plan.Plan {
	q := *p
	q.Components = append([]plan.Component(nil), p.Components...)
	for i, c := range q.Components {
		q.Components[i].Witness = analysis.CutAtStandard(c.Witness, p.Package)
		if slices.Contains(toolchainDependent, c.Name) {
			q.Components[i].Witness, q.Components[i].Maybe = nil, false
		}
	}
	if p.Reflection != nil {
		r := *p.Reflection
		r.Witness = analysis.CutAtStandard(r.Witness, p.Package)
		q.Reflection = &r
	}
	q.Syscalls.Unknown = append([]analysis.UnknownSite(nil), p.Syscalls.Unknown...)
	for i := range q.Syscalls.Unknown {
		q.Syscalls.Unknown[i].Path = analysis.CutAtStandard(q.Syscalls.Unknown[i].Path, p.Package)
	}
	return &q
}

// checks state what the golden files of some cases must show, so that -update cannot bless a
// regression silently.
var checks = map[string]func(*testing.T, *gen.Result){
	"fmt": func(t *testing.T, r *gen.Result) {
		if r.Plan.Syscalls.All || len(r.Plan.Syscalls.Calls) >= len(generic(t).Plan.Syscalls.Calls) {
			t.Errorf("fmt: %d system calls (all=%v), want fewer than the generic kernel", len(r.Plan.Syscalls.Calls), r.Plan.Syscalls.All)
		}
	},
	"constfalse": func(t *testing.T, r *gen.Result) {
		if c, _ := r.Plan.Component("network"); c.In || c.Witness != nil {
			t.Errorf("constfalse: network component %+v, want out with no witness", c)
		}
	},
	"netparse": func(t *testing.T, r *gen.Result) {
		if c, _ := r.Plan.Component("network"); c.In {
			t.Errorf("netparse: network component in (%s), want out: net is used for types and parsing only", c.Reason)
		}
	},
	"nethttp": func(t *testing.T, r *gen.Result) {
		if c, _ := r.Plan.Component("network"); len(c.Witness) == 0 {
			t.Errorf("nethttp: network component has no witness")
		}
	},
	"exec": func(t *testing.T, r *gen.Result) {
		if len(r.Plan.Unsupported) == 0 || r.Plan.Unsupported[0].API != "os.StartProcess" {
			t.Errorf("exec: unsupported = %v, want os.StartProcess", r.Plan.Unsupported)
		}
	},
	"reflect": func(t *testing.T, r *gen.Result) {
		if r.Plan.Reflection == nil || !r.Plan.Reflection.AllMethods {
			t.Errorf("reflect: reflection = %+v, want all methods", r.Plan.Reflection)
		}
	},
	"rawsyscall": func(t *testing.T, r *gen.Result) {
		if !r.Plan.Syscalls.All || !bytes.Contains(r.BootOverlay[gen.CompositionRootFile], []byte("return sys.Generic")) {
			t.Errorf("rawsyscall: want every system call")
		}
	},
	"rootfs": func(t *testing.T, r *gen.Result) {
		if !r.Plan.Has("files") || r.RootFSSize == 0 || len(r.BootOverlay["rootfs.img"]) != r.RootFSSize ||
			!bytes.Contains(r.BootOverlay[gen.CompositionRootFile], []byte("//go:embed rootfs.img")) {
			t.Errorf("rootfs: files %v, image %d bytes; want the file component and the embedded image", r.Plan.Has("files"), r.RootFSSize)
		}
	},
	"xen": func(t *testing.T, r *gen.Result) {
		if p := r.Plan.Platforms(); len(p) != 1 || !strings.HasSuffix(p[0], "/xen") {
			t.Errorf("xen: platforms %v, want xen only", p)
		}
	},
}

var genericOnce = sync.OnceValues(func() (*gen.Result, error) {
	return gen.Generate(context.Background(), gen.Options{Package: "./testdata/fmt", Generic: true})
})

func generic(t *testing.T) *gen.Result {
	r, err := genericOnce()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// analyseAll analyses the programs with one load, as the CLI analyses one.
func analyseAll(t *testing.T, patterns []string) map[string]*analysis.Result {
	rs, err := analysis.AnalyzeAll(context.Background(), analysis.Config{Patterns: patterns})
	if err != nil {
		t.Fatalf("analysis: %v", err)
	}
	out := map[string]*analysis.Result{}
	for _, r := range rs {
		out[r.Package] = r
	}
	return out
}

// compare checks got against the files of want, or rewrites them with -update.
func compare(t *testing.T, want string, got map[string][]byte) {
	t.Helper()
	if *update {
		if err := os.RemoveAll(want); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(want, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range got {
			if err := os.WriteFile(filepath.Join(want, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	ents, _ := os.ReadDir(want)
	seen := map[string]bool{}
	for _, e := range ents {
		seen[e.Name()] = true
		w, err := os.ReadFile(filepath.Join(want, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got[e.Name()]
		if !ok {
			t.Errorf("%s: not generated; run go test ./gen -run TestGolden -update", e.Name())
			continue
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s differs; run go test ./gen -run TestGolden -update and review the change\n%s", e.Name(), textdiff.Unified("want/"+e.Name(), "got", string(w), string(g)))
		}
	}
	for name := range got {
		if !seen[name] {
			t.Errorf("%s: generated but not in %s; run go test ./gen -run TestGolden -update", name, want)
		}
	}
}
