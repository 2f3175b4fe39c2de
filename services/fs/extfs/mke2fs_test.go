package extfs

import (
	"fmt"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mke2fs makes an image of size bytes with `mke2fs -q -F args...`, filled from dir when not "".
func mke2fs(t *testing.T, size int64, dir string, args ...string) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "host.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(size)
	f.Close()
	a := append([]string{"-q", "-F"}, args...)
	if dir != "" {
		a = append(a, "-d", dir)
	}
	a = append(a, img)
	if out, err := exec.Command(needTool(t, "mke2fs"), a...).CombinedOutput(); err != nil {
		t.Fatalf("mke2fs %v: %v\n%s", a, err, out)
	}
	return img
}

// TestHostImage mounts an ext3 image that the host's mke2fs made and filled (1 KiB blocks,
// resize_inode, dir_index, ext_attr), with a directory big enough that e2fsck -D indexes it:
// the files read back, a change to the indexed directory leaves it readable, and e2fsck finds
// the result clean.
func TestHostImage(t *testing.T) {
	src := t.TempDir()
	m := newModel()
	os.MkdirAll(filepath.Join(src, "www/big"), 0o755)
	m.dirs["www"], m.dirs["www/big"] = true, true
	for i := 0; i < 400; i++ {
		name := fmt.Sprintf("www/big/page-%03d.html", i)
		c := content(i, i*37)
		os.WriteFile(filepath.Join(src, name), []byte(c), 0o644)
		m.files[name] = c
	}
	os.WriteFile(filepath.Join(src, "www/index.html"), []byte("<h1>hi</h1>"), 0o644)
	m.files["www/index.html"] = "<h1>hi</h1>"
	os.Symlink("index.html", filepath.Join(src, "www/home.html"))
	m.links["www/home.html"] = "index.html"
	img := mke2fs(t, 16<<20, src, "-t", "ext3")
	// Index the directories (htree), as a host that mounted and filled it would have.
	if out, err := exec.Command(needTool(t, "e2fsck"), "-fyD", img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck -fyD: %v\n%s", err, out)
		}
	}
	if !strings.Contains(debugfs(t, img, "stat /www/big"), "Flags: 0x1000") {
		t.Fatalf("e2fsck -D did not index /www/big:\n%s", debugfs(t, img, "stat /www/big"))
	}
	f, _ := mountImage(t, img)
	m.check(t, f)
	// Change the indexed directory: add, remove, rename within it.
	writeFile(t, f, "www/big/new.html", "new")
	m.files["www/big/new.html"] = "new"
	if err := f.Remove("www/big/page-007.html", false); err != nil {
		t.Fatal(err)
	}
	delete(m.files, "www/big/page-007.html")
	if err := f.Rename("www/big/page-100.html", "www/big/renamed.html", false); err != nil {
		t.Fatal(err)
	}
	m.files["www/big/renamed.html"] = m.files["www/big/page-100.html"]
	delete(m.files, "www/big/page-100.html")
	m.check(t, f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	m.checkDebugfs(t, img)
}

// TestMountErrors: what is not a usable file system gets an error at mount that says why.
func TestMountErrors(t *testing.T) {
	good := newImage(t, 8<<20, mkOpts())
	for _, c := range []struct {
		name string
		make func(t *testing.T) string
		want string
	}{
		{"zeros", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "z.img")
			os.WriteFile(p, make([]byte, 1<<20), 0o644)
			return p
		}, "no ext2/ext3 file system"},
		{"tiny", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "t.img")
			os.WriteFile(p, make([]byte, 1000), 0o644)
			return p
		}, "too small"},
		{"truncated", func(t *testing.T) string {
			b, _ := os.ReadFile(good)
			p := filepath.Join(t.TempDir(), "tr.img")
			os.WriteFile(p, b[:len(b)/2], 0o644)
			return p
		}, "the device is truncated"},
		{"ext4", func(t *testing.T) string { return mke2fs(t, 8<<20, "", "-t", "ext4") }, "cannot read: extent 64bit"},
		{"bad group", func(t *testing.T) string {
			b, _ := os.ReadFile(good)
			// The first group descriptor (block 2 with 1 KiB blocks): an inode table past the end.
			copy(b[2048+8:], []byte{0xff, 0xff, 0xff, 0x00})
			p := filepath.Join(t.TempDir(), "g.img")
			os.WriteFile(p, b, 0o644)
			return p
		}, "corrupt group descriptor 0: inode table"},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := c.make(t)
			d, err := OpenImage(img, false)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err = Mount(d, Options{CommitInterval: -1})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("mount: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestReadOnlyFeatures: an ext4-like image with metadata_csum but no incompatible feature
// mounts read-only: reads work, writes get EROFS.
func TestReadOnlyFeatures(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("readable"), 0o644)
	img := mke2fs(t, 8<<20, src, "-t", "ext3", "-O", "metadata_csum")
	f, _ := mountImage(t, img)
	if got, err := readFile(f, "f"); err != nil || got != "readable" {
		t.Errorf("read: %q %v", got, err)
	}
	if err := f.Mkdir("d", 0o755); err != syscall.EROFS {
		t.Errorf("mkdir: %v, want EROFS", err)
	}
	if _, err := f.Open("f", syscall.O_WRONLY, 0); err != syscall.EROFS {
		t.Errorf("open for writing: %v, want EROFS", err)
	}
	if !f.Statfs().ReadOnly {
		t.Errorf("statfs does not say read-only")
	}
}

func mkOpts() mkfsOptions { return mkfsOptions{} }

type mkfsOptions = mkfs.Options
