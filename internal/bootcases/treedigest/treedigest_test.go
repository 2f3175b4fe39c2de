package treedigest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSum: the digest covers names, types, contents and link targets, and counts the entries
// (the root among them).
func TestSum(t *testing.T) {
	root := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("d/a", "one")
	if err := os.Symlink("d/a", filepath.Join(root, "l")); err != nil {
		t.Fatal(err)
	}
	sum := func() string {
		t.Helper()
		d, n, err := Sum(root)
		if err != nil || n != 4 || len(d) != 64 {
			t.Fatalf("Sum = %q, %d, %v; want 64 hex digits, 4 entries", d, n, err)
		}
		return d
	}
	first := sum()
	if again := sum(); again != first {
		t.Fatalf("two sums of the same tree differ: %s, %s", first, again)
	}
	write("d/a", "two")
	changed := sum()
	if changed == first {
		t.Errorf("a file's contents changed, the digest did not")
	}
	os.Remove(filepath.Join(root, "l"))
	if err := os.Symlink("d", filepath.Join(root, "l")); err != nil {
		t.Fatal(err)
	}
	if sum() == changed {
		t.Errorf("a link's target changed, the digest did not")
	}
	if _, _, err := Sum(filepath.Join(root, "missing")); err == nil {
		t.Errorf("Sum of a missing directory: no error")
	}
}
