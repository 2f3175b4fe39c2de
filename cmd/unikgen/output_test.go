package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildOutput checks where build -o writes, and what it refuses to overwrite: the package's
// own source (-o main.go), any file that is not an ELF file, an xl.cfg it did not write, a file in
// a missing directory. Refusals exit 2 and leave every file as it was.
func TestBuildOutput(t *testing.T) {
	t.Parallel()
	const src = "package main\n\nfunc main() { println(\"app\") }\n"
	dir := appModule(t, src)
	app := filepath.Join(dir, "cmd", "app")
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("my notes\n"), 0o644)
	userXL := filepath.Join(dir, "mine.xl")
	os.WriteFile(userXL, []byte("name = \"hand-written\"\n"), 0o644)

	for _, c := range []struct {
		dir, out, want string
	}{
		{app, "main.go", "unikgen: -o main.go: already exists and is not a kernel image or other ELF file; not overwriting it\n"},
		{dir, notes, "unikgen: -o " + notes + ": already exists and is not a kernel image or other ELF file; not overwriting it\n"},
		{dir, "missing/app.xen", "unikgen: -o missing/app.xen: cannot be written: directory missing does not exist\n"},
		{dir, "missing/", "unikgen: -o missing/: is not an existing directory\n"},
		{dir, "mine.xen", "unikgen: -o mine.xen: mine.xl already exists and is not an xl config written by unikgen; not overwriting it\n"},
	} {
		r := run(t, c.dir, nil, "build", "-o", c.out, filepath.Join(dir, "cmd", "app"))
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) {
			t.Errorf("build -o %s: exit %d, stderr %q; want exit 2 and %q", c.out, r.code, r.stderr, c.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(app, "main.go")); string(b) != src {
		t.Errorf("main.go now holds %d bytes, want the source", len(b))
	}
	if b, _ := os.ReadFile(notes); string(b) != "my notes\n" {
		t.Errorf("notes.txt changed: %q", b)
	}
	if b, _ := os.ReadFile(userXL); string(b) != "name = \"hand-written\"\n" {
		t.Errorf("mine.xl changed: %q", b)
	}
	if ents, _ := os.ReadDir(app); len(ents) != 1 {
		t.Errorf("the package directory holds %d files, want only main.go", len(ents))
	}

	// A directory receives NAME.xen and NAME.xl; a second build replaces both.
	out := t.TempDir()
	for i := 0; i < 2; i++ {
		r := run(t, dir, nil, "build", "-o", out, "./cmd/app")
		if r.code != 0 {
			t.Fatalf("build -o DIR: exit %d\n%s", r.code, r.stderr)
		}
		if !strings.HasPrefix(r.stdout, filepath.Join(out, "app.xen")+": ") || !strings.Contains(r.stdout, filepath.Join(out, "app.xl")+": xl config") {
			t.Errorf("build -o DIR: stdout %q", r.stdout)
		}
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 2 || ents[0].Name() != "app.xen" || ents[1].Name() != "app.xl" {
		t.Errorf("the output directory holds %v, want app.xen and app.xl", ents)
	}
}
