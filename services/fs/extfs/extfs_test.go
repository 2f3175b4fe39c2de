package extfs

import (
	"errors"
	"io"
	"math/rand"
	"strings"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// content returns n bytes that differ from block to block.
func content(seed, n int) string {
	r := rand.New(rand.NewSource(int64(seed)))
	b := make([]byte, n)
	r.Read(b)
	return string(b)
}

// TestOperations runs the operations programs make on volumes made by mkfs with 1 KiB and
// 4 KiB blocks, then checks the result three ways: through the file system, after a second
// mount, and with e2fsprogs (e2fsck finds the file system clean, debugfs reads the same files).
func TestOperations(t *testing.T) {
	for _, bs := range []int{1024, 4096} {
		t.Run(map[int]string{1024: "1k", 4096: "4k"}[bs], func(t *testing.T) {
			img := newImage(t, 48<<20, mkfs.Options{BlockSize: bs})
			f, _ := mountImage(t, img)
			m := newModel()
			step := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			step("mkdir a", f.Mkdir("a", 0o755))
			step("mkdir a/b", f.Mkdir("a/b", 0o755))
			step("mkdir c", f.Mkdir("c", 0o700))
			m.dirs["a"], m.dirs["a/b"], m.dirs["c"] = true, true, true
			// Sizes around the block map's steps: empty, small, direct, single and double
			// indirect.
			for i, n := range []int{0, 1, 100, bs, 12 * bs, 12*bs + 1, 300 * bs, 1100 * bs} {
				name := "a/b/f" + string(rune('0'+i))
				c := content(i, n)
				writeFile(t, f, name, c)
				m.files[name] = c
			}
			// Many names in one directory (several directory blocks).
			for i := 0; i < 200; i++ {
				name := "c/entry-with-a-long-name-" + strings.Repeat("x", i%40) + string(rune('A'+i%26)) + string(rune('a'+i/26))
				writeFile(t, f, name, name)
				m.files[name] = name
			}
			// Overwrite in the middle, across a block boundary.
			h, err := f.Open("a/b/f6", syscall.O_RDWR, 0)
			step("open f6", err)
			patch := "PATCHED ACROSS A BLOCK BOUNDARY"
			_, err = h.WriteAt([]byte(patch), int64(bs-5))
			step("patch", err)
			old := m.files["a/b/f6"]
			m.files["a/b/f6"] = old[:bs-5] + patch + old[bs-5+len(patch):]
			// Sparse: write far beyond the end.
			_, err = h.WriteAt([]byte("tail"), int64(2000*bs+7))
			step("sparse write", err)
			m.files["a/b/f6"] += strings.Repeat("\x00", 2000*bs+7-len(old)) + "tail"
			step("close", h.Close())
			// Truncate: shrink inside a block, then extend (the rest of the block reads zero).
			step("truncate", f.Setattr("a/b/f7", fs.SetAttr{Size: ptr(int64(700*bs + 3))}))
			step("extend", f.Setattr("a/b/f7", fs.SetAttr{Size: ptr(int64(701 * bs))}))
			m.files["a/b/f7"] = m.files["a/b/f7"][:700*bs+3] + strings.Repeat("\x00", bs-3)
			step("truncate to 0", f.Setattr("a/b/f5", fs.SetAttr{Size: ptr(int64(0))}))
			m.files["a/b/f5"] = ""
			// Write then rename over an existing file (the safe-save pattern).
			writeFile(t, f, "a/cfg.tmp", "new config")
			writeFile(t, f, "a/cfg", "old config")
			step("rename over", f.Rename("a/cfg.tmp", "a/cfg", false))
			m.files["a/cfg"] = "new config"
			// Rename across directories, and a directory with its contents.
			step("rename across", f.Rename("a/b/f2", "c/moved", false))
			m.files["c/moved"] = m.files["a/b/f2"]
			delete(m.files, "a/b/f2")
			step("mkdir d", f.Mkdir("a/d", 0o755))
			writeFile(t, f, "a/d/inside", "inside")
			step("move dir", f.Rename("a/d", "c/d2", false))
			m.dirs["c/d2"] = true
			m.files["c/d2/inside"] = "inside"
			// Replace an empty directory by a directory.
			step("mkdir e", f.Mkdir("e", 0o755))
			step("mkdir c/e2", f.Mkdir("c/e2", 0o755))
			step("rename dir over dir", f.Rename("e", "c/e2", false))
			m.dirs["c/e2"] = true
			// Links.
			step("link", f.Link("a/cfg", "c/cfg-link"))
			m.files["c/cfg-link"] = "new config"
			step("symlink", f.Symlink("../a/cfg", "c/short"))
			long := strings.Repeat("long/", 30) + "target"
			step("long symlink", f.Symlink(long, "c/long"))
			m.links["c/short"], m.links["c/long"] = "../a/cfg", long
			// Remove files and a directory.
			step("remove", f.Remove("a/b/f3", false))
			delete(m.files, "a/b/f3")
			step("mkdir gone", f.Mkdir("gone", 0o755))
			step("rmdir", f.Remove("gone", true))
			// Unlink while open: the data stays readable until the close.
			writeFile(t, f, "open-unlinked", "still here")
			h, err = f.Open("open-unlinked", syscall.O_RDONLY, 0)
			step("open", err)
			step("unlink open", f.Remove("open-unlinked", false))
			buf := make([]byte, 20)
			if n, _ := h.ReadAt(buf, 0); string(buf[:n]) != "still here" {
				t.Errorf("unlinked open file reads %q", buf[:n])
			}
			step("close unlinked", h.Close())

			// Errors are Linux's.
			for _, c := range []struct {
				what string
				err  error
				want syscall.Errno
			}{
				{"mkdir existing", f.Mkdir("a", 0o755), syscall.EEXIST},
				{"rmdir non-empty", f.Remove("a", true), syscall.ENOTEMPTY},
				{"unlink dir", f.Remove("a", false), syscall.EISDIR},
				{"rmdir file", f.Remove("a/cfg", true), syscall.ENOTDIR},
				{"remove missing", f.Remove("nope", false), syscall.ENOENT},
				{"dir into itself", f.Rename("a", "a/b/x", false), syscall.EINVAL},
				{"dir over file", f.Rename("a/b", "a/cfg", false), syscall.ENOTDIR},
				{"file over dir", f.Rename("a/cfg", "a/b", false), syscall.EISDIR},
				{"over non-empty dir", f.Rename("c/e2", "a", false), syscall.ENOTEMPTY},
				{"noreplace", f.Rename("a/cfg", "c/moved", true), syscall.EEXIST},
				{"link dir", f.Link("a", "a2"), syscall.EPERM},
				{"long name", f.Mkdir(strings.Repeat("n", 256), 0o755), syscall.ENAMETOOLONG},
				{"through a file", f.Mkdir("a/cfg/x", 0o755), syscall.ENOTDIR},
				{"readlink file", func() error { _, err := f.Readlink("a/cfg"); return err }(), syscall.EINVAL},
				{"O_EXCL", func() error { _, err := f.Open("a/cfg", syscall.O_CREAT|syscall.O_EXCL|syscall.O_RDWR, 0); return err }(), syscall.EEXIST},
				{"write dir", func() error { _, err := f.Open("a", syscall.O_WRONLY, 0); return err }(), syscall.EISDIR},
				{"O_DIRECTORY file", func() error { _, err := f.Open("a/cfg", syscall.O_DIRECTORY, 0); return err }(), syscall.ENOTDIR},
			} {
				if !errors.Is(c.err, c.want) {
					t.Errorf("%s: %v, want %v", c.what, c.err, c.want)
				}
			}
			m.check(t, f)
			step("sync", f.Close())

			// A second mount sees the same tree; e2fsprogs agree.
			f2, _ := mountImage(t, img)
			m.check(t, f2)
			if a, err := f2.Lstat("a/b"); err != nil || a.Nlink != 2 || a.Mode != fs.S_IFDIR|0o755 {
				t.Errorf("a/b: %+v %v", a, err)
			}
			if a, err := f2.Lstat("a/cfg"); err != nil || a.Nlink != 2 {
				t.Errorf("a/cfg has %d links (%v), want 2", a.Nlink, err)
			}
			f2.Close()
			fsck(t, img)
			m.checkDebugfs(t, img)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestFull fills a small volume: writes stop with ENOSPC, and the file system stays clean.
func TestFull(t *testing.T) {
	img := newImage(t, 5<<20, mkfs.Options{})
	f, _ := mountImage(t, img)
	h, err := f.Open("big", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	var total int64
	for {
		n, err := h.WriteAt(chunk, total)
		total += int64(n)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("write: %v, want ENOSPC", err)
			}
			break
		}
		if total > 6<<20 {
			t.Fatal("wrote more than the volume holds")
		}
	}
	if a, _ := h.Attr(); a.Size != total {
		t.Errorf("size %d, wrote %d", a.Size, total)
	}
	if st := f.Statfs(); st.Bfree != 0 {
		t.Errorf("%d blocks free after ENOSPC", st.Bfree)
	}
	h.Close()
	if err := f.Mkdir("d", 0o755); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("mkdir on a full volume: %v", err)
	}
	if err := f.Remove("big", false); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
}

var _ = io.EOF
