package extfs

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// newImage formats an image file of size bytes and returns its path.
func newImage(t testing.TB, size int64, o mkfs.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vol.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	o.Zeroed = true
	if err := mkfs.Format(f, size, o); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// mountImage mounts an image file without a commit timer.
func mountImage(t testing.TB, p string) (*FS, *FileDevice) {
	t.Helper()
	d, err := OpenImage(p, false)
	if err != nil {
		t.Fatal(err)
	}
	d.NoSync = true
	f, err := Mount(d, Options{CommitInterval: -1, Log: t.Logf})
	if err != nil {
		d.Close()
		t.Fatalf("mount %s: %v", p, err)
	}
	t.Cleanup(func() { d.Close() })
	return f, d
}

// needTool returns the path of an e2fsprogs tool, or ends the test through testenv.Missing.
func needTool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"", "/sbin/", "/usr/sbin/"} {
		if p, err := exec.LookPath(dir + name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "%s not found: install e2fsprogs", name)
	return ""
}

// fsck runs e2fsck -fn on the image and fails the test unless it finds the file system clean.
func fsck(t testing.TB, img string) {
	t.Helper()
	out, err := exec.Command(needTool(t, "e2fsck"), "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
}

// debugfs runs a debugfs request on the image and returns its output.
func debugfs(t testing.TB, img, req string) string {
	t.Helper()
	cmd := exec.Command(needTool(t, "debugfs"), "-R", req, img)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("debugfs -R %q: %v\n%s", req, err, stderr.String())
	}
	return out.String()
}

// model is the expected tree: regular files by content, directories, symbolic links.
type model struct {
	files map[string]string
	dirs  map[string]bool
	links map[string]string
}

func newModel() *model {
	return &model{files: map[string]string{}, dirs: map[string]bool{"": true}, links: map[string]string{}}
}

// writeFile creates or replaces name with content through the file system.
func writeFile(t testing.TB, f *FS, name, content string) {
	t.Helper()
	h, err := f.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if n, err := h.WriteAt([]byte(content), 0); err != nil || n != len(content) {
		t.Fatalf("write %s: %d, %v", name, n, err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(f *FS, name string) (string, error) {
	h, err := f.Open(name, syscall.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer h.Close()
	a, err := h.Attr()
	if err != nil {
		return "", err
	}
	b := make([]byte, a.Size+10)
	n, err := h.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	return string(b[:n]), nil
}

// check compares the file system with m, through f.
func (m *model) check(t testing.TB, f *FS) {
	t.Helper()
	var walk func(dir string)
	seen := map[string]bool{}
	walk = func(dir string) {
		h, err := f.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			t.Fatalf("open dir %q: %v", dir, err)
		}
		ents, err := h.ReadDir()
		h.Close()
		if err != nil {
			t.Fatalf("readdir %q: %v", dir, err)
		}
		for _, e := range ents {
			p := e.Name
			if dir != "" {
				p = dir + "/" + e.Name
			}
			if p == "lost+found" {
				continue
			}
			seen[p] = true
			switch e.Mode {
			case fs.S_IFDIR:
				if !m.dirs[p] {
					t.Errorf("unexpected directory %s", p)
				}
				walk(p)
			case fs.S_IFREG:
				want, ok := m.files[p]
				if !ok {
					t.Errorf("unexpected file %s", p)
					continue
				}
				got, err := readFile(f, p)
				if err != nil || got != want {
					t.Errorf("%s: %d bytes %v, want %d bytes (%.20q vs %.20q)", p, len(got), err, len(want), got, want)
				}
			case fs.S_IFLNK:
				got, err := f.Readlink(p)
				if err != nil || got != m.links[p] {
					t.Errorf("link %s: %q %v, want %q", p, got, err, m.links[p])
				}
			default:
				t.Errorf("%s: mode %#o", p, e.Mode)
			}
		}
	}
	walk("")
	for _, set := range []map[string]bool{keys(m.files), m.dirs, keys(m.links)} {
		for p := range set {
			if p != "" && !seen[p] {
				t.Errorf("%s is missing", p)
			}
		}
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// checkDebugfs compares the image with m through e2fsprogs: debugfs copies the whole tree
// out (rdump), which must hold exactly m's files, directories and links.
func (m *model) checkDebugfs(t testing.TB, img string) {
	t.Helper()
	out := t.TempDir()
	debugfs(t, img, "rdump / "+out)
	root := filepath.Join(out, filepath.Base(out)) // rdump names the root after the target
	if _, err := os.Stat(root); err != nil {
		root = out
	}
	got := newModel()
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if rel == "lost+found" {
			return filepath.SkipDir
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			got.links[rel] = l
			return err
		case fi.IsDir():
			got.dirs[rel] = true
		default:
			b, err := os.ReadFile(p)
			got.files[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range m.files {
		if g, ok := got.files[p]; !ok || g != want {
			t.Errorf("debugfs: %s: %d bytes (present %v), want %d", p, len(g), ok, len(want))
		}
	}
	for p := range got.files {
		if _, ok := m.files[p]; !ok {
			t.Errorf("debugfs: unexpected file %s", p)
		}
	}
	for _, p := range sortedKeys(m.dirs) {
		if p != "" && !got.dirs[p] {
			t.Errorf("debugfs: directory %s is missing", p)
		}
	}
	for p := range got.dirs {
		if !m.dirs[p] {
			t.Errorf("debugfs: unexpected directory %s", p)
		}
	}
	for p, want := range m.links {
		if got.links[p] != want {
			t.Errorf("debugfs: link %s -> %q, want %q", p, got.links[p], want)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
