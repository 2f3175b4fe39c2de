package fs

// This file implements the VFS: the mount table, the working directory and path resolution
// (symbolic links, "..", mount points, Linux's errors).

import (
	"sort"

	"github.com/unikgen/unikgen/services/relay"
	"strings"
	"sync"
	"syscall"
)

// pathMax and linkMax are Linux's PATH_MAX and the bound on symbolic links followed in one
// resolution (ELOOP beyond).
const (
	pathMax = 4096
	linkMax = 40
)

// A mount is a file system at a path.
type mount struct {
	path string // absolute, clean
	fs   FileSystem
	dev  uint64 // st_dev of its files
	// async is the goroutine that runs the calls on a file system that must wait (a volume on a
	// block device); nil to run them on the relay server at once.
	async chan func()
}

// VFS is the library OS's file namespace.
type VFS struct {
	mu     sync.Mutex
	mounts []*mount // longest path first
	cwd    string
	files  map[int32]*openFile // open files by relay object
	locks  map[lockKey]*flock
	srv    registry
	// devices is the goroutine of the devices that wait (block devices), made at first use.
	devices *mount
	// maps are the files' mappings (mmap.go).
	maps fileMaps
}

// registry holds the relay objects of open files, under the numbers the kernel reserved for
// them (a request's spare): the relay server.
type registry interface {
	Put(obj int32, o relay.Object)
}

// NewVFS returns a VFS whose root is root.
func NewVFS(root FileSystem, srv registry) *VFS {
	v := &VFS{cwd: "/", files: map[int32]*openFile{}, locks: map[lockKey]*flock{}, srv: srv}
	v.Mount("/", root, false)
	return v
}

// Mount puts f at path, which must be absolute. With async, calls on f run on a goroutine of
// their own rather than on the relay server (f waits for a device).
func (v *VFS) Mount(path string, f FileSystem, async bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := &mount{path: clean(path), fs: f, dev: uint64(len(v.mounts) + 1)}
	if async {
		m.async = make(chan func(), 64)
		go func() {
			for fn := range m.async {
				fn()
			}
		}()
	}
	v.mounts = append(v.mounts, m)
	sort.SliceStable(v.mounts, func(i, j int) bool { return len(v.mounts[i].path) > len(v.mounts[j].path) })
}

// Mounts returns the mount points, shortest first.
func (v *VFS) Mounts() []string {
	var out []string
	for _, m := range v.mountList() {
		out = append(out, m.path)
	}
	return out
}

// mountList returns a copy of v's mounts, the shortest mount point first (the root first, as
// Mounts and /proc/self/mounts list them).
func (v *VFS) mountList() []*mount {
	v.mu.Lock()
	defer v.mu.Unlock()
	ms := make([]*mount, len(v.mounts))
	for i, m := range v.mounts {
		ms[len(ms)-1-i] = m
	}
	return ms
}

// clean returns the lexical clean form of an absolute path.
func clean(p string) string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return "/" + strings.Join(out, "/")
}

// mountOf returns the mount holding the absolute clean path p and p's name in it.
func (v *VFS) mountOf(p string) (*mount, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, m := range v.mounts {
		if m.path == "/" {
			return m, strings.TrimPrefix(p, "/")
		}
		if p == m.path {
			return m, ""
		}
		if strings.HasPrefix(p, m.path+"/") {
			return m, p[len(m.path)+1:]
		}
	}
	panic("fs: no root mount")
}

// isMountPoint reports whether p is where a file system other than the root is mounted.
func (v *VFS) isMountPoint(p string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, m := range v.mounts {
		if m.path == p && p != "/" {
			return true
		}
	}
	return false
}

// lstat returns the attributes of the absolute clean path p, for call c.
func (c *call) lstat(p string) (Attr, *mount, string, error) {
	m, name := c.v.mountOf(p)
	a, err := c.fs(m).Lstat(name)
	return a, m, name, err
}

// resolve turns path p, relative to the absolute directory base, into an absolute path with no
// symbolic link among its directories, following a final link when follow is set. A path that
// ends in '/' must name a directory (and its final link is followed).
func (c *call) resolve(base, p string, follow bool) (string, error) {
	if p == "" {
		return "", syscall.ENOENT
	}
	if len(p) >= pathMax {
		return "", syscall.ENAMETOOLONG
	}
	mustDir := strings.HasSuffix(p, "/")
	if mustDir {
		follow = true
	}
	if strings.HasPrefix(p, "/") {
		base = "/"
	}
	cur := strings.Split(strings.TrimPrefix(base, "/"), "/")
	if base == "/" {
		cur = cur[:0]
	}
	rest := splitPath(p)
	links := 0
	for len(rest) > 0 {
		comp := rest[0]
		rest = rest[1:]
		switch comp {
		case ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		if len(comp) > 255 {
			return "", syscall.ENAMETOOLONG
		}
		cur = append(cur, comp)
		last := len(rest) == 0
		if last && !follow {
			break
		}
		abs := "/" + strings.Join(cur, "/")
		a, _, _, err := c.lstat(abs)
		if err != nil {
			if last && errnoOf(err) == syscall.ENOENT {
				break // the caller may create it
			}
			return "", err
		}
		if a.Mode&S_IFMT == S_IFLNK {
			links++
			if links > linkMax {
				return "", syscall.ELOOP
			}
			m, name := c.v.mountOf(abs)
			t, err := c.fs(m).Readlink(name)
			if err != nil {
				return "", err
			}
			cur = cur[:len(cur)-1]
			if strings.HasPrefix(t, "/") {
				cur = cur[:0]
			}
			rest = append(splitPath(t), rest...)
			continue
		}
		if !last && !a.IsDir() {
			return "", syscall.ENOTDIR
		}
		if last && mustDir && !a.IsDir() {
			return "", syscall.ENOTDIR
		}
	}
	return "/" + strings.Join(cur, "/"), nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
