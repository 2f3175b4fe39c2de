package cache

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSnapshot: a snapshot holds while nothing changes, and not after a file of the listing is
// edited (its size or time), a source file comes into a package directory, or an environment
// variable the key covers changes; inputs changed within a second of the listing give no
// snapshot.
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
	write(filepath.Join(goroot, "src", "runtime", "proc.go"), "package runtime\n", past)
	write(filepath.Join(goroot, "VERSION"), "go1.26.8\n", past)
	write(filepath.Join(app, "main.go"), "package main\n", past)
	write(filepath.Join(app, "go.mod"), "module example.com/app\n", past)
	var listing []byte
	for _, p := range []any{
		map[string]any{"ImportPath": "runtime", "Dir": filepath.Join(goroot, "src", "runtime"), "Standard": true, "GoFiles": []string{"proc.go"}},
		map[string]any{"ImportPath": "example.com/app", "Dir": app, "GoFiles": []string{"main.go"},
			"Module": map[string]any{"Path": "example.com/app", "Dir": app}},
	} {
		b, _ := json.Marshal(p)
		listing = append(listing, b...)
	}

	s, err := TakeSnapshot("k1", listing, app, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Unchanged() {
		t.Fatal("a fresh snapshot does not hold")
	}
	write(filepath.Join(app, "main.go"), "package main\n", past.Add(time.Second)) // same size, new time
	if s.Unchanged() {
		t.Error("holds after main.go was written again")
	}
	write(filepath.Join(app, "main.go"), "package main\n", past)
	if !s.Unchanged() {
		t.Fatal("does not hold with main.go as it was")
	}
	write(filepath.Join(app, "app.xen"), "not a source file", time.Now()) // an image beside the program
	if !s.Unchanged() {
		t.Error("a file that is not a source file made the snapshot fail")
	}
	write(filepath.Join(app, "extra.go"), "package main\n", past)
	if s.Unchanged() {
		t.Error("holds after extra.go came into the package directory")
	}
	os.Remove(filepath.Join(app, "extra.go"))
	goflags := os.Getenv("GOFLAGS")
	t.Setenv("GOFLAGS", goflags+" -tags=other")
	if s.Unchanged() {
		t.Error("holds with another GOFLAGS")
	}
	os.Setenv("GOFLAGS", goflags)
	if !s.Unchanged() {
		t.Fatal("does not hold with the environment as it was")
	}

	write(filepath.Join(app, "main.go"), "package main\n", time.Now())
	if _, err := TakeSnapshot("k2", listing, app, time.Now()); !errors.Is(err, ErrRecent) {
		t.Errorf("a file written at the listing: %v, want ErrRecent", err)
	}
}
