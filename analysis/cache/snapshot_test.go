package cache

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSnapshot: a snapshot holds while nothing changes, whatever the files' times, and not after
// a file of the program changes (its contents; a standard-library file: its time), a source file
// comes into a package directory, go.mod changes, or an environment variable the key covers
// changes; a file that came after the listing gives no snapshot.
func TestSnapshot(t *testing.T) {
	root := t.TempDir()
	goroot := filepath.Join(root, "goroot")
	app := filepath.Join(root, "app")
	for _, d := range []string{filepath.Join(goroot, "src", "runtime"), app} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	write := func(path, text string, when time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, when, when); err != nil {
			t.Fatal(err)
		}
	}
	std := filepath.Join(goroot, "src", "runtime", "proc.go")
	write(std, "package runtime\n", past)
	write(filepath.Join(goroot, "VERSION"), "go1.26.8\n", past)
	write(filepath.Join(app, "main.go"), "package main\n", past)
	write(filepath.Join(app, "go.mod"), "module example.com/app\n", past)
	listing := listingOf(
		map[string]any{"ImportPath": "runtime", "Dir": filepath.Dir(std), "Standard": true, "GoFiles": []string{"proc.go"}},
		map[string]any{"ImportPath": "example.com/app", "Dir": app, "GoFiles": []string{"main.go"},
			"Module": map[string]any{"Path": "example.com/app", "Dir": app}},
	)
	in := Inputs{Dir: app}
	key, s, err := KeySnapshot(listing, in, nil)
	if err != nil || s == nil {
		t.Fatal(s, err)
	}
	if k, _ := KeyFromListing(listing, in, nil); k != key || s.Key != key {
		t.Fatalf("keys %s, %s, %s differ", k, key, s.Key)
	}
	if !s.Unchanged() {
		t.Fatal("a fresh snapshot does not hold")
	}
	write(filepath.Join(app, "main.go"), "package main\n", time.Now()) // the same contents, now
	if !s.Unchanged() {
		t.Error("does not hold after main.go was written again with the same contents")
	}
	write(filepath.Join(app, "main.go"), "package main // edited\n", past)
	if s.Unchanged() {
		t.Error("holds after main.go was edited (its time kept)")
	}
	write(filepath.Join(app, "main.go"), "package main\n", past)
	write(std, "package runtime\n", past.Add(time.Second))
	if s.Unchanged() {
		t.Error("holds after a standard-library file was written again")
	}
	write(std, "package runtime\n", past)
	if !s.Unchanged() {
		t.Fatal("does not hold with the files as they were")
	}
	write(filepath.Join(app, "app.xen"), "not a source file", time.Now()) // an image beside the program
	if !s.Unchanged() {
		t.Error("a file that is not a source file made the snapshot fail")
	}
	write(filepath.Join(app, "extra.go"), "package main\n", past)
	if s.Unchanged() {
		t.Error("holds after extra.go came into the package directory")
	}
	if _, s2, _ := KeySnapshot(listing, in, nil); s2 != nil {
		t.Error("a snapshot of a listing that lacks extra.go, which is in the directory")
	}
	os.Remove(filepath.Join(app, "extra.go"))
	write(filepath.Join(app, "go.mod"), "module example.com/app\n\ngo 1.26\n", past)
	if s.Unchanged() {
		t.Error("holds after go.mod changed")
	}
	write(filepath.Join(app, "go.mod"), "module example.com/app\n", past)
	goflags := os.Getenv("GOFLAGS")
	t.Setenv("GOFLAGS", goflags+" -tags=other")
	if s.Unchanged() {
		t.Error("holds with another GOFLAGS")
	}
	os.Setenv("GOFLAGS", goflags)
	if !s.Unchanged() {
		t.Error("does not hold with everything as it was")
	}
}

// TestSnapshotCoversBuild: a snapshot covers what go build reads beyond the analysis: embedded
// files and the entries of embedded directories, and the module trees that the composition root
// can import from (the library OS edited in place, the main module's replacements by
// directories, the vendor directory), but not the files beside them that go build does not read;
// a go.work file keeps it from vouching for a build.
func TestSnapshotCoversBuild(t *testing.T) {
	root := t.TempDir()
	app, lib, libos := filepath.Join(root, "app"), filepath.Join(root, "lib"), filepath.Join(root, "libos")
	boot := filepath.Join(libos, "runtime", "boot")
	for _, d := range []string{filepath.Join(app, "static"), lib, boot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, past, past); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(app, "main.go"), "package main\n")
	write(filepath.Join(app, "go.mod"), "module example.com/app\n\nreplace example.com/lib => ../lib\n")
	write(filepath.Join(app, "static", "a.txt"), "a\n")
	write(filepath.Join(lib, "go.mod"), "module example.com/lib\n")
	write(filepath.Join(lib, "lib.go"), "package lib\n")
	write(filepath.Join(libos, "go.mod"), "module github.com/unikgen/unikgen\n")
	write(filepath.Join(boot, "boot.go"), "package boot\n")
	listing := listingOf(
		map[string]any{"ImportPath": "example.com/app", "Dir": app, "GoFiles": []string{"main.go"},
			"EmbedPatterns": []string{"static"}, "EmbedFiles": []string{"static/a.txt"},
			"Module": map[string]any{"Path": "example.com/app", "Dir": app, "Main": true, "GoMod": filepath.Join(app, "go.mod")}},
		map[string]any{"ImportPath": "github.com/unikgen/unikgen/runtime/boot", "Dir": boot, "GoFiles": []string{"boot.go"},
			"Module": map[string]any{"Path": "github.com/unikgen/unikgen", "Dir": libos}},
	)
	in := Inputs{Dir: app}
	_, s, err := KeySnapshot(listing, in, nil)
	if err != nil || s == nil {
		t.Fatal(s, err)
	}
	if want := []string{lib, libos}; !slices.Equal(s.Roots, want) {
		t.Fatalf("roots %q, want %q", s.Roots, want)
	}
	if s.CoversBuild() {
		t.Error("covers the build without the roots' trees")
	}
	s.Trees = WalkTrees(s.Roots)
	if !s.CoversBuild() || !s.Unchanged() {
		t.Fatalf("a fresh snapshot with its trees: covers %v, unchanged %v (%s)", s.CoversBuild(), s.Unchanged(), s.NoBuild)
	}
	pre := s.Current()
	if !s.SeenIn(pre) {
		t.Error("not seen in its own inputs taken again")
	}
	for _, c := range []struct {
		what    string
		path    string
		changed bool
	}{
		{"an embedded file was edited", filepath.Join(app, "static", "a.txt"), true},
		{"a file came into an embedded directory", filepath.Join(app, "static", "b.txt"), true},
		{"a file of a replacement module was edited", filepath.Join(lib, "lib.go"), true},
		{"a file came into the library OS", filepath.Join(boot, "new.go"), true},
		{"a file came into a library OS directory no package lists", filepath.Join(libos, "drivers", "x.s"), true},
		{"an image was written beside the program", filepath.Join(app, "app.xen"), false},
		{"a test came into the library OS", filepath.Join(boot, "boot_test.go"), false},
		{"a file came into a testdata directory", filepath.Join(libos, "testdata", "x.go"), false},
	} {
		old, err := os.ReadFile(c.path)
		existed := err == nil
		if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
			t.Fatal(err)
		}
		write(c.path, string(old)+"// changed\n")
		if got := !s.Unchanged(); got != c.changed {
			t.Errorf("%s: changed %v, want %v", c.what, got, c.changed)
		}
		if c.changed && s.SeenIn(s.Current()) {
			t.Errorf("%s: seen in the inputs as they are now", c.what)
		}
		if existed {
			write(c.path, string(old))
		} else {
			os.Remove(c.path)
		}
		if !s.Unchanged() {
			t.Fatalf("%s: changed after it was undone", c.what)
		}
	}
	if err := os.MkdirAll(filepath.Join(app, "vendor"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(app, "vendor", "modules.txt"), "# example.com/lib v1.0.0\n")
	if _, s2, _ := KeySnapshot(listing, in, nil); s2 == nil {
		t.Error("no snapshot with a vendor directory")
	} else if !slices.Contains(s2.Roots, filepath.Join(app, "vendor")) {
		t.Errorf("with a vendor directory, roots %q", s2.Roots)
	}
	write(filepath.Join(root, "go.work"), "go 1.26\n\nuse ./app\n")
	if _, s2, _ := KeySnapshot(listing, in, nil); s2 == nil || s2.CoversBuild() || s2.NoBuild == "" {
		t.Errorf("with a go.work file: %+v", s2)
	}
}

// listingOf is go list -json's output for the packages pkgs (ImportPath, Dir, ... as go list
// names them).
func listingOf(pkgs ...map[string]any) []byte {
	var listing []byte
	for _, p := range pkgs {
		b, _ := json.Marshal(p)
		listing = append(listing, b...)
	}
	return listing
}
