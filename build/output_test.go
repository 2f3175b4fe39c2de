package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestImageOutput(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := write("main.go", "package main\n")
	elfFile := write("old.xen", "\x7fELF\x02\x01\x01rest")
	short := write("short", "\x7fE")
	const pkg = "example.com/app/cmd/tool"
	for _, c := range []struct {
		out, want string
		bad       bool
	}{
		{"", filepath.Join(dir, "tool.xen"), false},
		{sub, filepath.Join(sub, "tool.xen"), false},
		{sub + "/", filepath.Join(sub, "tool.xen"), false},
		{filepath.Join(dir, "new.xen"), filepath.Join(dir, "new.xen"), false},
		{elfFile, elfFile, false},
		{os.DevNull, os.DevNull, false},
		{src, "", true},
		{short, "", true},
		{filepath.Join(dir, "missing", "k.xen"), "", true},
		{filepath.Join(dir, "missing") + "/", "", true},
		{filepath.Join(src, "k.xen"), "", true}, // main.go is not a directory
	} {
		got, err := ImageOutput(dir, c.out, pkg)
		var oe *OutputError
		switch {
		case c.bad && !errors.As(err, &oe):
			t.Errorf("ImageOutput(%q) = %q, %v; want an *OutputError", c.out, got, err)
		case !c.bad && (err != nil || got != c.want):
			t.Errorf("ImageOutput(%q) = %q, %v; want %q", c.out, got, err, c.want)
		}
	}
	if b, _ := os.ReadFile(src); string(b) != "package main\n" {
		t.Error("ImageOutput changed a file")
	}
}

// TestBuildRefusesSource asks Build to write the image over the package's own main.go.
func TestBuildRefusesSource(t *testing.T) {
	needGo(t)
	const src = "package main\n\nfunc main() {}\n"
	dir := writeModule(t, map[string]string{"main.go": src})
	main := filepath.Join(dir, "main.go")
	_, err := Build(context.Background(), Options{Dir: dir, Output: main})
	var oe *OutputError
	if !errors.As(err, &oe) || oe.Path != main {
		t.Errorf("Build -o main.go: %v, want an *OutputError for %s", err, main)
	}
	if b, _ := os.ReadFile(main); string(b) != src {
		t.Errorf("main.go was overwritten (%d bytes, starting %q)", len(b), b[:min(len(b), 4)])
	}
}
