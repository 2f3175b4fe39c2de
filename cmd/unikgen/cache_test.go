package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalysisCacheCLI checks the CLI's use of the analysis cache: a second build of an unchanged
// program takes the analysis from the cache (-x says so), -nocache and UNIKGEN_CACHE=off analyse
// afresh, and a corrupt entry gives a warning and a good build.
func TestAnalysisCacheCLI(t *testing.T) {
	t.Parallel()
	dir := appModule(t, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"cached\") }\n")
	cache := filepath.Join(t.TempDir(), "cache")
	env := []string{"UNIKGEN_CACHE=" + cache}
	build := func(env []string, flags ...string) string {
		t.Helper()
		r := run(t, dir, env, append(append([]string{"build", "-x"}, flags...), "./cmd/app")...)
		if r.code != 0 {
			t.Fatalf("unikgen build %v: exit %d, stderr:\n%s", flags, r.code, r.stderr)
		}
		return r.stderr
	}
	const fresh, cached = "unikgen: analysing the program", "unikgen: analysis: unchanged program, from the cache"
	if s := build(env); !strings.Contains(s, fresh) {
		t.Errorf("first build: no %q in stderr:\n%s", fresh, s)
	}
	if s := build(env); !strings.Contains(s, cached) || strings.Contains(s, fresh) {
		t.Errorf("second build: want %q and no analysis in stderr:\n%s", cached, s)
	}
	if s := build(env, "-nocache"); !strings.Contains(s, fresh) {
		t.Errorf("-nocache: no %q in stderr:\n%s", fresh, s)
	}
	if s := build([]string{"UNIKGEN_CACHE=off"}); !strings.Contains(s, fresh) {
		t.Errorf("UNIKGEN_CACHE=off: no %q in stderr:\n%s", fresh, s)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "analysis", "*", "*"))
	if len(entries) != 1 {
		t.Fatalf("cache entries %v, want one", entries)
	}
	if err := os.WriteFile(entries[0], []byte("not an entry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := build(env)
	if !strings.Contains(s, "warning: analysis cache entry") || !strings.Contains(s, "is corrupt") || !strings.Contains(s, fresh) {
		t.Errorf("corrupt entry: want a warning and a fresh analysis in stderr:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "app.xen")); err != nil {
		t.Errorf("no image: %v", err)
	}
}
