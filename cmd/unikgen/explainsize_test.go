package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainPictures runs explain -size -html and explain -dot on examples/hello.
func TestExplainPictures(t *testing.T) {
	t.Parallel()
	root := moduleRoot()
	page := filepath.Join(t.TempDir(), "hello.html")
	r := run(t, root, nil, "explain", "-size", "-html", page, "./examples/hello")
	if r.code != 0 {
		t.Fatalf("explain -size -html: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"hello.xen: file ", "  .bss\n", "components:", "  platform/xen\n", "packages:", "  fmt\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain -size lacks %q:\n%s", want, r.stdout)
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"program":"github.com/unikgen/unikgen/examples/hello"`, `"name":"platform/xen"`, `"func":"fmt.Println"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the page's data lacks %s", want)
		}
	}

	r = run(t, root, nil, "explain", "-dot", "./examples/hello")
	if r.code != 0 {
		t.Fatalf("explain -dot: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "// The components of the kernel for github.com/unikgen/unikgen/examples/hello") ||
		!strings.Contains(r.stdout, `"program" -> "console" [label="github.com/unikgen/unikgen/examples/hello.main\nfmt.Println (main.go:9:13)`) {
		t.Errorf("explain -dot:\n%s", r.stdout)
	}
}
