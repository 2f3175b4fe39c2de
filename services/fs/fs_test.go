package fs

import (
	"io"
	"syscall"
	"testing"
)

func TestMemFS(t *testing.T) {
	m := NewMemFS(TmpfsMagic, 100)
	if err := m.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := m.Open("d/a", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt([]byte("hello"), 3); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	n, err := h.ReadAt(b, 0)
	if n != 8 || err != io.EOF || string(b[:n]) != "\x00\x00\x00hello" {
		t.Errorf("ReadAt = %d %v %q", n, err, b[:n])
	}
	if _, err := h.WriteAt(make([]byte, 200), 0); err != syscall.ENOSPC {
		t.Errorf("write beyond the limit: %v, want ENOSPC", err)
	}
	for _, c := range []struct {
		name string
		err  error
		want syscall.Errno
	}{
		{"open missing", func() error { _, err := m.Open("d/none", 0, 0); return err }(), syscall.ENOENT},
		{"open through a file", func() error { _, err := m.Open("d/a/x", 0, 0); return err }(), syscall.ENOTDIR},
		{"O_EXCL", func() error { _, err := m.Open("d/a", syscall.O_CREAT|syscall.O_EXCL, 0); return err }(), syscall.EEXIST},
		{"write a directory", func() error { _, err := m.Open("d", syscall.O_WRONLY, 0); return err }(), syscall.EISDIR},
		{"O_DIRECTORY on a file", func() error { _, err := m.Open("d/a", syscall.O_DIRECTORY, 0); return err }(), syscall.ENOTDIR},
		{"rmdir non-empty", m.Remove("d", true), syscall.ENOTEMPTY},
		{"unlink a directory", m.Remove("d", false), syscall.EISDIR},
		{"rmdir a file", m.Remove("d/a", true), syscall.ENOTDIR},
		{"dir into itself", m.Rename("d", "d/sub", false), syscall.EINVAL},
		{"mkdir existing", m.Mkdir("d", 0o755), syscall.EEXIST},
	} {
		if c.err != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	// Rename over an existing file replaces it; the old name is gone.
	if _, err := m.Open("d/b", syscall.O_CREAT|syscall.O_WRONLY, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("d/a", "d/b", false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lstat("d/a"); err != syscall.ENOENT {
		t.Errorf("old name after rename: %v", err)
	}
	if a, _ := m.Lstat("d/b"); a.Size != 8 {
		t.Errorf("renamed file size %d, want 8", a.Size)
	}
	if err := m.Rename("d/b", "d/c", true); err != nil {
		t.Errorf("RENAME_NOREPLACE to a free name: %v", err)
	}
	m.SetReadOnly()
	if _, err := m.Open("d/c", syscall.O_WRONLY, 0); err != syscall.EROFS {
		t.Errorf("write open on a read-only file system: %v", err)
	}
	if err := m.Mkdir("d/e", 0o755); err != syscall.EROFS {
		t.Errorf("mkdir on a read-only file system: %v", err)
	}
}

func newTestVFS(t *testing.T) *VFS {
	root := NewMemFS(RamfsMagic, 0)
	root.AddDir("tmp", 0o755)
	root.AddFile("etc/f", 0o644, []byte("x"), 0)
	root.AddSymlink("etc/link", "f")
	root.AddSymlink("loop", "loop")
	root.AddSymlink("up", "../etc")
	v := NewVFS(root, nil)
	tmp := NewMemFS(TmpfsMagic, 0)
	tmp.AddFile("in-tmp", 0o644, nil, 0)
	v.Mount("/tmp", tmp, false)
	return v
}

func TestResolve(t *testing.T) {
	v := newTestVFS(t)
	c := &call{v: v}
	for _, tc := range []struct {
		base, p string
		follow  bool
		want    string
		err     syscall.Errno
	}{
		{"/", "/etc/link", true, "/etc/f", 0},
		{"/", "/etc/link", false, "/etc/link", 0},
		{"/etc", "../etc/./f", true, "/etc/f", 0},
		{"/", "up/f", true, "/etc/f", 0},
		{"/", "/loop", true, "", syscall.ELOOP},
		{"/", "/loop", false, "/loop", 0},
		{"/", "/etc/f/", true, "", syscall.ENOTDIR},
		{"/", "/etc/f/x", true, "", syscall.ENOTDIR},
		{"/", "/nope/x", true, "", syscall.ENOENT},
		{"/", "/etc/new", true, "/etc/new", 0},
		{"/", "", true, "", syscall.ENOENT},
		{"/tmp", "in-tmp", true, "/tmp/in-tmp", 0},
		{"/", "/..", true, "/", 0},
	} {
		got, err := c.resolve(tc.base, tc.p, tc.follow)
		if errnoOf(err) != tc.err || got != tc.want {
			t.Errorf("resolve(%q, %q, %v) = %q, %v; want %q, %v", tc.base, tc.p, tc.follow, got, err, tc.want, tc.err)
		}
	}
	if m, name := v.mountOf("/tmp/in-tmp"); m.path != "/tmp" || name != "in-tmp" {
		t.Errorf("mountOf(/tmp/in-tmp) = %s, %q", m.path, name)
	}
	if m, name := v.mountOf("/tmpx"); m.path != "/" || name != "tmpx" {
		t.Errorf("mountOf(/tmpx) = %s, %q", m.path, name)
	}
}

func TestDirent(t *testing.T) {
	b := make([]byte, 0, 48)
	b, ok := putDirent(b, 7, 1, dtype(S_IFDIR), ".")
	if !ok || len(b) != 24 || b[18] != 4 || b[19] != '.' || b[20] != 0 || le.Uint16(b[16:]) != 24 {
		t.Errorf("dirent %v %x", ok, b)
	}
	if _, ok := putDirent(b, 8, 2, dtype(S_IFREG), "a-name-that-does-not-fit"); ok {
		t.Errorf("a record past the buffer's end was added")
	}
}

func TestResolvConf(t *testing.T) {
	if got := string(resolvConf(nil)); got != "# unikgen: from the network configuration (config.Kernel DNS, UNIKGEN_NET_DNS or DHCP)\n" {
		t.Errorf("without servers: %q", got)
	}
}
