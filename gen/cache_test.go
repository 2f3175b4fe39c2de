package gen_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/testenv"
)

// TestAnalysisCache generates a program of its own module with the analysis cache, through the
// changes a developer makes: the cache serves an unchanged program without analysing it, and an
// edit of a dependency, of the configuration or of the build tags, or a corrupt entry, gives the
// result of a fresh analysis.
func TestAnalysisCache(t *testing.T) {
	testenv.NeedGo(t)
	dir := t.TempDir()
	files := map[string]string{
		"main.go": `package main

import (
	"fmt"

	"example.com/app/lib"
	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{MemoryMiB: 32}

func main() { fmt.Println(lib.Greeting()) }
`,
		"lib/lib.go": "package lib\n\nfunc Greeting() string { return \"hello\" }\n",
		"lib/tagged.go": `//go:build withrandom

package lib

import "crypto/rand"

func init() { rand.Read(make([]byte, 8)) }
`,
	}
	testenv.WriteModule(t, dir, files)
	store := &cache.Store{Dir: t.TempDir()}

	// generate runs Generate; analysed says whether it analysed the program.
	generate := func(t *testing.T, cached bool, tags ...string) (r *gen.Result, analysed bool) {
		t.Helper()
		o := gen.Options{Dir: dir, Package: ".", Tags: tags}
		o.Progress = func(msg string) { analysed = analysed || strings.HasPrefix(msg, "analysing") }
		if cached {
			o.Cache = store
		}
		r, err := gen.Generate(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return r, analysed
	}
	// same checks that a result from the cache says what fresh, an analysis of the same inputs,
	// says.
	same := func(t *testing.T, got, fresh *gen.Result) {
		t.Helper()
		for _, f := range []struct {
			name      string
			got, want any
		}{
			{"plan", got.Plan, fresh.Plan},
			{"record", string(got.Files[0].Content), string(fresh.Files[0].Content)},
			{"composition root", string(got.BootOverlay[gen.CompositionRootFile]), string(fresh.BootOverlay[gen.CompositionRootFile])},
			{"advice", got.Advice, fresh.Advice},
			{"dir", got.Dir, fresh.Dir},
			{"memory from", got.MemoryFrom, fresh.MemoryFrom},
			{"packages", got.Analysis.Packages, fresh.Analysis.Packages},
		} {
			g, _ := json.Marshal(f.got)
			w, _ := json.Marshal(f.want)
			if string(g) != string(w) {
				t.Errorf("%s from the cache differs from a fresh analysis:\n got %s\nwant %s", f.name, g, w)
			}
		}
	}
	// step generates with the cache; a hit must say what fresh says.
	step := func(name string, wantHit bool, fresh *gen.Result, tags ...string) *gen.Result {
		var r *gen.Result
		t.Run(name, func(t *testing.T) {
			var analysed bool
			r, analysed = generate(t, true, tags...)
			if r.Cache.Hit != wantHit || analysed == wantHit || r.Cache.Key == "" {
				t.Errorf("cache hit %v (analysed %v, key %q), want hit %v", r.Cache.Hit, analysed, r.Cache.Key, wantHit)
			}
			if r.Cache.Warning != "" {
				t.Errorf("warning %q", r.Cache.Warning)
			}
			if wantHit {
				same(t, r, fresh)
			}
		})
		return r
	}
	first := step("first", false, nil)
	again := step("unchanged", true, first)
	if again.Cache.Key != first.Cache.Key {
		t.Errorf("unchanged program: key %s, then %s", first.Cache.Key, again.Cache.Key)
	}
	// The listing of build.Resolve (the pipeline's one go list) gives the same key.
	t.Run("listing from build.Resolve", func(t *testing.T) {
		pkg, err := build.Resolve(context.Background(), build.Options{Dir: dir, ListDeps: true})
		if err != nil {
			t.Fatal(err)
		}
		r, err := gen.Generate(context.Background(), gen.Options{Dir: dir, Package: ".", Cache: store, LibOS: pkg.LibOS, Listing: pkg.Listing})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Cache.Hit || r.Cache.Key != first.Cache.Key {
			t.Errorf("hit %v, key %s; want a hit on %s", r.Cache.Hit, r.Cache.Key, first.Cache.Key)
		}
	})
	if first.Plan.Has("random") {
		t.Fatalf("the program reads no random numbers yet, but the random component is in")
	}

	// An edit of a dependency (not of the main package) that puts the file component in.
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib/lib.go", "package lib\n\nimport \"os\"\n\nfunc Greeting() string { b, _ := os.ReadFile(\"/etc/greeting\"); return string(b) }\n")
	dep := step("edited dependency", false, nil)
	if !dep.Plan.Has("files") {
		t.Errorf("after the edit, the program reads a file but the file component is out")
	}
	step("edited dependency, unchanged", true, dep)

	// An edit of the configuration.
	main := files["main.go"]
	write("main.go", strings.Replace(main, "MemoryMiB: 32", "MemoryMiB: 48", 1))
	conf := step("edited configuration", false, nil)
	if conf.Plan.MemoryMiB != 48 {
		t.Errorf("memory %d MiB, want the edited 48", conf.Plan.MemoryMiB)
	}

	// Other build tags: another file of lib is in the program.
	tagged := step("tags", false, nil, "withrandom")
	if !tagged.Plan.Has("random") {
		t.Errorf("with -tags withrandom the program reads random numbers, but the random component is out")
	}
	step("tags, unchanged", true, tagged, "withrandom")
	if r := step("no tags", true, conf); r.Plan.Has("random") {
		t.Errorf("without the tag, the random component is in")
	}

	// A corrupt entry: a clear warning, and the fresh result.
	entries, _ := filepath.Glob(filepath.Join(store.Dir, "analysis", "*", "*"))
	if len(entries) == 0 {
		t.Fatal("no cache entries written")
	}
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		// Change one byte in the middle of the JSON: still a whole file, but not what was written.
		i := len(b) / 2
		b[i] ^= 0x01
		if err := os.WriteFile(e, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var afresh *gen.Result
	t.Run("corrupt", func(t *testing.T) {
		r, analysed := generate(t, true)
		afresh = r
		if r.Cache.Hit || !analysed || !strings.Contains(r.Cache.Warning, "corrupt") {
			t.Errorf("corrupt entry: hit %v, analysed %v, warning %q; want a warning that it is corrupt and a fresh analysis", r.Cache.Hit, analysed, r.Cache.Warning)
		}
		same(t, r, conf)
	})
	step("rewritten after corruption", true, afresh)
}
