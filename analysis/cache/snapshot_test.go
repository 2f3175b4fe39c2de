package cache

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	var listing []byte
	for _, p := range []any{
		map[string]any{"ImportPath": "runtime", "Dir": filepath.Dir(std), "Standard": true, "GoFiles": []string{"proc.go"}},
		map[string]any{"ImportPath": "example.com/app", "Dir": app, "GoFiles": []string{"main.go"},
			"Module": map[string]any{"Path": "example.com/app", "Dir": app}},
	} {
		b, _ := json.Marshal(p)
		listing = append(listing, b...)
	}
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
