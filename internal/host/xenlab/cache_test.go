package xenlab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

func TestHarnessKey(t *testing.T) {
	read := func(edit string) func(string) ([]byte, error) {
		return func(n string) ([]byte, error) {
			b, err := files.ReadFile("files/" + n)
			if n == edit {
				b = append(b, "\n# edited\n"...)
			}
			return b, err
		}
	}
	base, err := harnessKey([]byte("a.deb\n"), read(""))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := harnessKey([]byte("a.deb\n"), read("")); again != base {
		t.Error("key not deterministic")
	}
	for _, n := range fileNames {
		if k, _ := harnessKey([]byte("a.deb\n"), read(n)); k == base {
			t.Errorf("editing %s does not change the key", n)
		}
	}
	if k, _ := harnessKey([]byte("b.deb\n"), read("")); k == base {
		t.Error("another package list does not change the key")
	}
}

func TestHarnessDirStamp(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := harnessDir(dir); err == nil {
		t.Error("no packages downloaded but harnessDir succeeded")
	}
	os.MkdirAll(filepath.Join(dir, debsDir), 0o755)
	os.WriteFile(filepath.Join(dir, debsDir, doneFile), []byte("x.deb\n"), 0o644)
	h, ok, err := harnessDir(dir)
	if err != nil || ok {
		t.Fatalf("empty cache: %v %v", ok, err)
	}
	os.MkdirAll(h, 0o755)
	if _, ok, _ := harnessDir(dir); ok {
		t.Error("harness without stamp counted as complete")
	}
	os.WriteFile(filepath.Join(h, stampFile), nil, 0o644)
	if _, ok, _ := harnessDir(dir); !ok {
		t.Error("stamped harness not found")
	}
	// Run refuses a cache without harness and says what to do.
	if _, err := Run(context.Background(), RunOptions{Image: "x", CacheDir: t.TempDir()}); err == nil ||
		!(strings.Contains(err.Error(), "EnsureCache") || strings.Contains(err.Error(), QEMU)) {
		t.Errorf("Run without cache: %v", err)
	}
}

// fakePath makes a directory holding the named host tools (symlinks) plus the given scripts, for
// use as the whole PATH.
func fakePath(t *testing.T, tools []string, scripts map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for _, n := range tools {
		p, err := lookPathSbin(n)
		if err != nil {
			testenv.Missing(t, "host tool %s missing", n)
		}
		os.Symlink(p, filepath.Join(d, n))
	}
	for n, s := range scripts {
		os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"+s), 0o755)
	}
	return d
}

func TestEnsureCacheMissingAptLists(t *testing.T) {
	path := fakePath(t, []string{"bash"}, map[string]string{
		"apt-get":   "exit 1\n",
		"apt-cache": "echo 'xen-hypervisor-4.17-amd64:'; echo '  Installed: (none)'; echo '  Candidate: (none)'\n",
	})
	t.Setenv("PATH", path)
	err := EnsureCache(context.Background(), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "apt-get update") {
		t.Fatalf("EnsureCache without apt lists: %v, want a hint to run apt-get update", err)
	}
}

func TestEnsureCacheMissingTools(t *testing.T) {
	noCpio := fakePath(t, []string{"dpkg-deb", "gzip", "zcat", "ldd", "bash", "ip", "losetup", "flock"}, nil)
	t.Setenv("PATH", t.TempDir())
	err := EnsureCache(context.Background(), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "apt-get") {
		t.Fatalf("EnsureCache without apt-get: %v", err)
	}
	// Packages already downloaded, cpio missing: the error names cpio and how to install it.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, debsDir), 0o755)
	os.WriteFile(filepath.Join(dir, debsDir, doneFile), []byte("x.deb\n"), 0o644)
	t.Setenv("PATH", noCpio)
	err = EnsureCache(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "cpio") || !strings.Contains(err.Error(), "apt-get install cpio") {
		t.Fatalf("EnsureCache without cpio: %v", err)
	}
}

// TestCheckHost checks what CheckHost reports: QEMU missing first, then (for a cache that holds
// no harness) the tools the build needs; a built harness needs nothing more.
func TestCheckHost(t *testing.T) {
	ctx := context.Background()
	t.Setenv("PATH", t.TempDir())
	var nf *NotFoundError
	if err := CheckHost(ctx, t.TempDir()); !errors.As(err, &nf) {
		t.Fatalf("CheckHost without QEMU: %v, want a *NotFoundError", err)
	}
	qemuOnly := fakePath(t, nil, map[string]string{QEMU: "exit 0\n"})
	t.Setenv("PATH", qemuOnly)
	if err := CheckHost(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "apt-get") {
		t.Errorf("CheckHost with an empty cache and no apt-get: %v, want apt-get named", err)
	}
	built := t.TempDir()
	os.MkdirAll(filepath.Join(built, debsDir), 0o755)
	os.WriteFile(filepath.Join(built, debsDir, doneFile), []byte("x.deb\n"), 0o644)
	hdir, _, err := harnessDir(built)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(hdir, 0o755)
	os.WriteFile(filepath.Join(hdir, stampFile), []byte("built\n"), 0o644)
	if err := CheckHost(ctx, built); err != nil {
		t.Errorf("CheckHost with a built harness: %v, want nil", err)
	}
}

func TestSizeOf(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, make([]byte, 1500000), 0o644)
	os.WriteFile(b, make([]byte, 250000), 0o644)
	if got := sizeOf(a, b, filepath.Join(dir, "missing")); got != "1.8 MB" {
		t.Errorf("sizeOf = %q, want 1.8 MB", got)
	}
}
