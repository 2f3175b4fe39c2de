// Command files exercises the file component: the root file system baked into the kernel
// (testdata/files/rootfs, built with -rootfs), the generated /etc files, /dev, /proc, and tmpfs
// at /tmp. It prints one line per check; the boot test compares them.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/unikgen/unikgen/internal/bootcases/treedigest"
)

var failed bool

func check(name string, ok bool, detail ...any) {
	if ok {
		fmt.Printf("ok %s\n", name)
		return
	}
	failed = true
	fmt.Printf("FAIL %s %v\n", name, fmt.Sprint(detail...))
}

func errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}

func main() {
	root := "/"
	if len(os.Args) > 1 {
		root = os.Args[1] // on Linux: the rootfs directory, for the digest only
		d, n, err := treedigest.Sum(filepath.Join(root, "www"))
		fmt.Printf("digest www %s %d %v\n", d, n, err)
		return
	}

	// The baked-in root file system.
	b, err := os.ReadFile("/etc/app.conf")
	check("read /etc/app.conf", err == nil && string(b) == "greeting = \"hello from the root file system\"\n", err, string(b))
	d, n, err := treedigest.Sum("/www")
	fmt.Printf("digest www %s %d %v\n", d, n, err)
	ents, err := os.ReadDir("/")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Printf("root: %s %v\n", strings.Join(names, " "), err)
	t, err := os.Readlink("/index-link")
	check("readlink", err == nil && t == "www/index.html", err, t)
	b, err = os.ReadFile("/index-link")
	check("read through link", err == nil && string(b) == "<h1>index</h1>\n", err)
	st, err := os.Stat("/www/css/site.css")
	check("stat", err == nil && st.Size() == 22 && st.Mode().IsRegular() && st.Mode().Perm() == 0o644, err, st)
	_, err = os.Stat("/nonexistent/file")
	check("stat missing is ENOENT", errors.Is(err, fs.ErrNotExist) && errno(err) == syscall.ENOENT, err)
	_, err = os.Open("/www/index.html/x")
	check("file as directory is ENOTDIR", errno(err) == syscall.ENOTDIR, err)
	err = os.WriteFile("/etc/app.conf", []byte("x"), 0o644)
	check("write to the root is EROFS", errno(err) == syscall.EROFS, err)
	err = os.Mkdir("/newdir", 0o755)
	check("mkdir in the root is EROFS", errno(err) == syscall.EROFS, err)
	err = os.Remove("/etc/app.conf")
	check("remove in the root is EROFS", errno(err) == syscall.EROFS, err)
	_, err = os.ReadFile("/www")
	check("read a directory is EISDIR", errno(err) == syscall.EISDIR, err)

	// Generated /etc files.
	b, err = os.ReadFile("/etc/hosts")
	check("/etc/hosts", err == nil && bytes.Contains(b, []byte("127.0.0.1\tlocalhost")), err, string(b))
	b, err = os.ReadFile("/etc/resolv.conf")
	check("/etc/resolv.conf", err == nil && bytes.HasPrefix(b, []byte("# unikgen")), err, string(b))
	b, err = os.ReadFile("/etc/nsswitch.conf")
	check("/etc/nsswitch.conf", err == nil && string(b) == "hosts: files dns\n", err, string(b))
	b, err = os.ReadFile("/etc/passwd")
	check("/etc/passwd", err == nil && bytes.HasPrefix(b, []byte("root:x:0:0:")), err)
	b, err = os.ReadFile("/etc/group")
	check("/etc/group", err == nil && bytes.HasPrefix(b, []byte("root:x:0:")), err)

	// /dev and /proc.
	f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err == nil {
		n, werr := f.Write([]byte("discarded"))
		m, rerr := f.Read(make([]byte, 8))
		check("/dev/null", werr == nil && n == 9 && m == 0 && rerr == io.EOF, werr, n, m, rerr)
		f.Close()
	} else {
		check("/dev/null", false, err)
	}
	f, err = os.Open("/dev/zero")
	if err == nil {
		z := []byte{1, 2, 3, 4}
		_, err = io.ReadFull(f, z)
		check("/dev/zero", err == nil && bytes.Equal(z, make([]byte, 4)), err, z)
		f.Close()
	}
	r1, r2 := make([]byte, 16), make([]byte, 16)
	f, err = os.Open("/dev/urandom")
	if err == nil {
		io.ReadFull(f, r1)
		io.ReadFull(f, r2)
		f.Close()
	}
	check("/dev/urandom", err == nil && !bytes.Equal(r1, r2), err)
	st, err = os.Stat("/dev/null")
	check("/dev/null is a character device", err == nil && st.Mode()&fs.ModeCharDevice != 0, err)
	exe, err := os.Executable()
	check("os.Executable", err == nil && exe == "/files", err, exe)
	b, err = os.ReadFile("/proc/self/cmdline")
	check("/proc/self/cmdline", err == nil && string(b) == "files\x00", err, fmt.Sprintf("%q", b))

	// tmpfs.
	dir, err := os.MkdirTemp("", "t")
	check("MkdirTemp", err == nil && strings.HasPrefix(dir, "/tmp/"), err, dir)
	p := filepath.Join(dir, "a.txt")
	err = os.WriteFile(p, []byte("hello, tmpfs\n"), 0o600)
	check("write", err == nil, err)
	err = os.Rename(p, filepath.Join(dir, "b.txt"))
	check("rename", err == nil, err)
	_, err = os.Stat(p)
	check("old name gone", errno(err) == syscall.ENOENT, err)
	b, err = os.ReadFile(filepath.Join(dir, "b.txt"))
	check("read renamed", err == nil && string(b) == "hello, tmpfs\n", err)
	err = os.Truncate(filepath.Join(dir, "b.txt"), 5)
	b, _ = os.ReadFile(filepath.Join(dir, "b.txt"))
	check("truncate", err == nil && string(b) == "hello", err, string(b))
	f, err = os.OpenFile(filepath.Join(dir, "b.txt"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		f.WriteString(" world")
		f.Close()
	}
	b, _ = os.ReadFile(filepath.Join(dir, "b.txt"))
	check("append", err == nil && string(b) == "hello world", err, string(b))
	_, err = os.OpenFile(filepath.Join(dir, "b.txt"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	check("O_EXCL on an existing file is EEXIST", errno(err) == syscall.EEXIST, err)
	f, err = os.OpenFile(filepath.Join(dir, "rw"), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		f.WriteAt([]byte("0123456789"), 0)
		f.Seek(3, io.SeekStart)
		buf := make([]byte, 4)
		io.ReadFull(f, buf)
		pos, _ := f.Seek(0, io.SeekCurrent)
		end, _ := f.Seek(0, io.SeekEnd)
		at := make([]byte, 4)
		m, aerr := f.ReadAt(at, 8)
		check("seek, read, ReadAt", string(buf) == "3456" && pos == 7 && end == 10 && m == 2 && aerr == io.EOF && string(at[:2]) == "89", string(buf), pos, end, m, aerr)
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		f2, _ := os.Open(filepath.Join(dir, "rw"))
		err2 := syscall.Flock(int(f2.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		check("flock", err == nil && errno(err2) == syscall.EWOULDBLOCK, err, err2)
		check("fsync", f.Sync() == nil)
		f.Close()
		err = syscall.Flock(int(f2.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		check("flock after close", err == nil, err)
		f2.Close()
	}
	err = os.MkdirAll(filepath.Join(dir, "x/y/z"), 0o755)
	check("MkdirAll", err == nil, err)
	err = os.Symlink("x/y", filepath.Join(dir, "link"))
	check("symlink", err == nil, err)
	err = os.WriteFile(filepath.Join(dir, "link/z/f"), []byte("via link"), 0o644)
	check("write through a link", err == nil, err)
	err = os.Remove(filepath.Join(dir, "x"))
	check("remove a non-empty directory is ENOTEMPTY", errno(err) == syscall.ENOTEMPTY, err)
	err = os.Rename(filepath.Join(dir, "b.txt"), "/etc/b.txt")
	check("rename across file systems is EXDEV", errno(err) == syscall.EXDEV, err)
	var walked []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		walked = append(walked, rel)
		return err
	})
	sort.Strings(walked)
	fmt.Printf("tmp tree: %s\n", strings.Join(walked, " "))
	err = os.Chdir(dir)
	wd, werr := os.Getwd()
	check("chdir, getwd", err == nil && werr == nil && wd == dir, err, werr, wd)
	b, err = os.ReadFile("x/y/z/f")
	check("relative path", err == nil && string(b) == "via link", err)
	err = os.RemoveAll(dir)
	_, serr := os.Stat(dir)
	check("RemoveAll", err == nil && errno(serr) == syscall.ENOENT, err, serr)
	// The working directory was removed: getcwd still answers its old path (Linux adds
	// " (deleted)"); go back to the root.
	os.Chdir("/")

	if failed {
		os.Exit(1)
	}
	fmt.Println("done")
}
