package textdiff

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13\n"
	want := `--- old
+++ new
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
@@ -10,3 +10,4 @@
 10
 11
 12
+13
`
	if got := Unified("old", "new", a, b); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestUnifiedEdges(t *testing.T) {
	if got := Unified("a", "b", "x\n", "x\n"); got != "" {
		t.Errorf("equal texts: %q, want no diff", got)
	}
	if got, want := Unified("/dev/null", "f", "", "x\ny\n"), "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+x\n+y\n"; got != want {
		t.Errorf("new file: %q, want %q", got, want)
	}
	// A missing final newline does not make every line differ.
	if got := Unified("a", "b", "x\ny", "x\nz\n"); !strings.Contains(got, "-y\n+z\n") || strings.Contains(got, "-x") {
		t.Errorf("no final newline: %q", got)
	}
}
