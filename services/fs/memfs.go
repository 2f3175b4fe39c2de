package fs

// This file implements MemFS, a file system in memory: tmpfs (/tmp), and, read-only, the root
// file system baked into the image (with the library OS's generated files), /dev and /proc.

import (
	"io"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Statfs magic numbers (Linux include/uapi/linux/magic.h).
const (
	TmpfsMagic = 0x01021994
	RamfsMagic = 0x858458f6
	ProcMagic  = 0x9fa0
)

// A MemFS is a file system held in memory.
type MemFS struct {
	mu       sync.Mutex
	root     *node
	readOnly bool
	magic    int64
	limit    int64 // bytes of file data; 0: no limit
	used     int64
	nextIno  uint64
}

type node struct {
	a      Attr
	data   []byte
	gen    func() []byte // generated content, made when the file is opened
	target string        // symbolic link
	kids   map[string]*node
	dev    func() Handle // a device: what opening it gives
}

// NewMemFS returns an empty file system (a root directory with mode 0755) of statfs type magic.
// limit bounds the bytes of file data (ENOSPC beyond; 0 for no bound).
func NewMemFS(magic, limit int64) *MemFS {
	m := &MemFS{magic: magic, limit: limit}
	m.root = m.newNode(S_IFDIR | 0o755)
	m.root.a.Nlink = 2
	return m
}

// SetReadOnly makes every later change fail with EROFS (the builders below still work).
func (m *MemFS) SetReadOnly() { m.readOnly = true }

func now() int64 { return time.Now().UnixNano() }

func (m *MemFS) newNode(mode uint32) *node {
	m.nextIno++
	t := now()
	n := &node{a: Attr{Mode: mode, Ino: m.nextIno, Nlink: 1, Atime: t, Mtime: t, Ctime: t}}
	if mode&S_IFMT == S_IFDIR {
		n.kids = map[string]*node{}
		n.a.Nlink = 2
	}
	return n
}

// lookup returns the node of name, or ENOENT/ENOTDIR.
func (m *MemFS) lookup(name string) (*node, error) {
	n := m.root
	if name == "" {
		return n, nil
	}
	for _, c := range strings.Split(name, "/") {
		if n.kids == nil {
			return nil, syscall.ENOTDIR
		}
		k, ok := n.kids[c]
		if !ok {
			return nil, syscall.ENOENT
		}
		n = k
	}
	return n, nil
}

// parent returns the directory that holds name, and name's last element.
func (m *MemFS) parent(name string) (*node, string, error) {
	if name == "" {
		return nil, "", syscall.EBUSY // the root itself
	}
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	d, err := m.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	if d.kids == nil {
		return nil, "", syscall.ENOTDIR
	}
	return d, base, nil
}

// newName returns the directory that is to hold name, which must not exist (EEXIST), and name's
// last element; a read-only MemFS makes nothing (EROFS).
func (m *MemFS) newName(name string) (*node, string, error) {
	d, base, err := m.parent(name)
	if err != nil {
		return nil, "", err
	}
	if _, ok := d.kids[base]; ok {
		return nil, "", syscall.EEXIST
	}
	if m.readOnly {
		return nil, "", syscall.EROFS
	}
	return d, base, nil
}

// Builders, for the library OS's own trees (they work on a read-only MemFS too).

// AddDir makes directory name and its missing parents, with mode perm.
func (m *MemFS) AddDir(name string, perm uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.addDir(name, perm)
	return err
}

func (m *MemFS) addDir(name string, perm uint32) (*node, error) {
	n := m.root
	if name == "" {
		return n, nil
	}
	for _, c := range strings.Split(name, "/") {
		k, ok := n.kids[c]
		if !ok {
			k = m.newNode(S_IFDIR | perm&0o7777)
			n.kids[c] = k
			n.a.Nlink++
		}
		if k.kids == nil {
			return nil, syscall.ENOTDIR
		}
		n = k
	}
	return n, nil
}

// add puts n at name, making missing parent directories; an existing entry stays and add
// reports false.
func (m *MemFS) add(name string, n *node) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	d, err := m.addDir(dir, 0o755)
	if err != nil {
		return false, err
	}
	if _, ok := d.kids[base]; ok {
		return false, nil
	}
	d.kids[base] = n
	if n.kids != nil {
		d.a.Nlink++
	}
	return true, nil
}

// AddFile adds a regular file with contents data (not copied: the file system does not change
// it while read-only) unless name exists; it reports whether it added it.
func (m *MemFS) AddFile(name string, perm uint32, data []byte, mtime int64) (bool, error) {
	n := m.newNode(S_IFREG | perm&0o7777)
	n.data = data
	if mtime != 0 {
		n.a.Mtime, n.a.Ctime, n.a.Atime = mtime, mtime, mtime
	}
	return m.add(name, n)
}

// AddGenerated adds a regular file whose contents gen makes each time the file is opened,
// unless name exists.
func (m *MemFS) AddGenerated(name string, perm uint32, gen func() []byte) (bool, error) {
	n := m.newNode(S_IFREG | perm&0o7777)
	n.gen = gen
	return m.add(name, n)
}

// AddSymlink adds a symbolic link unless name exists.
func (m *MemFS) AddSymlink(name, target string) (bool, error) {
	n := m.newNode(S_IFLNK | 0o777)
	n.target = target
	n.a.Size = int64(len(target))
	return m.add(name, n)
}

// AddDevice adds a device node of type typ (S_IFCHR or S_IFBLK) with device number rdev;
// opening it calls open.
func (m *MemFS) AddDevice(name string, typ uint32, perm uint32, rdev uint64, open func() Handle) (bool, error) {
	n := m.newNode(typ | perm&0o7777)
	n.a.Rdev = rdev
	n.dev = open
	return m.add(name, n)
}

// FileSystem methods.

// Lstat implements FileSystem.
func (m *MemFS) Lstat(name string) (Attr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return Attr{}, err
	}
	return n.attr(), nil
}

func (n *node) attr() Attr {
	a := n.a
	switch {
	case n.gen != nil:
		a.Size = int64(len(n.gen()))
	case n.kids != nil:
		a.Size = 4096
	case n.a.Mode&S_IFMT == S_IFREG:
		a.Size = int64(len(n.data))
	}
	a.Blocks = (a.Size + 511) / 512
	return a
}

// Readlink implements FileSystem.
func (m *MemFS) Readlink(name string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return "", err
	}
	if n.a.Mode&S_IFMT != S_IFLNK {
		return "", syscall.EINVAL
	}
	return n.target, nil
}

const (
	oACCMODE   = syscall.O_ACCMODE
	oRDONLY    = syscall.O_RDONLY
	oCREAT     = syscall.O_CREAT
	oEXCL      = syscall.O_EXCL
	oTRUNC     = syscall.O_TRUNC
	oDIRECTORY = syscall.O_DIRECTORY
)

// Open implements FileSystem.
func (m *MemFS) Open(name string, flags int, perm uint32) (Handle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	write := flags&oACCMODE != oRDONLY
	n, err := m.lookup(name)
	switch {
	case err == syscall.ENOENT && flags&oCREAT != 0:
		d, base, err := m.parent(name)
		if err != nil {
			return nil, err
		}
		if m.readOnly {
			return nil, syscall.EROFS
		}
		n = m.newNode(S_IFREG | perm&0o7777)
		d.kids[base] = n
		d.a.Mtime, d.a.Ctime = n.a.Mtime, n.a.Mtime
	case err != nil:
		return nil, err
	case flags&(oCREAT|oEXCL) == oCREAT|oEXCL:
		return nil, syscall.EEXIST
	case n.kids != nil && (write || flags&oCREAT != 0):
		return nil, syscall.EISDIR
	case n.kids == nil && flags&oDIRECTORY != 0:
		return nil, syscall.ENOTDIR
	case n.dev != nil:
		return n.dev(), nil
	case write && m.readOnly:
		return nil, syscall.EROFS
	case write && flags&oTRUNC != 0 && n.a.Mode&S_IFMT == S_IFREG:
		m.used -= int64(len(n.data))
		n.data = nil
		n.a.Mtime, n.a.Ctime = now(), now()
	}
	h := &memHandle{m: m, n: n}
	if n.gen != nil {
		h.snap = n.gen()
	}
	return h, nil
}

// Mkdir implements FileSystem.
func (m *MemFS) Mkdir(name string, perm uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.newName(name)
	if err != nil {
		if err == syscall.EBUSY {
			return syscall.EEXIST
		}
		return err
	}
	d.kids[base] = m.newNode(S_IFDIR | perm&0o7777)
	d.a.Nlink++
	d.a.Mtime, d.a.Ctime = now(), now()
	return nil
}

// Remove implements FileSystem.
func (m *MemFS) Remove(name string, dir bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent(name)
	if err != nil {
		return err
	}
	n, ok := d.kids[base]
	switch {
	case !ok:
		return syscall.ENOENT
	case m.readOnly:
		return syscall.EROFS
	case n.kids != nil && !dir:
		return syscall.EISDIR
	case n.kids == nil && dir:
		return syscall.ENOTDIR
	case n.kids != nil && len(n.kids) > 0:
		return syscall.ENOTEMPTY
	}
	delete(d.kids, base)
	if n.kids != nil {
		d.a.Nlink--
	} else {
		n.a.Nlink--
		if n.a.Nlink == 0 {
			m.used -= int64(len(n.data))
		}
	}
	d.a.Mtime, d.a.Ctime = now(), now()
	return nil
}

// Rename implements FileSystem.
func (m *MemFS) Rename(from, to string, noReplace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fd, fbase, err := m.parent(from)
	if err != nil {
		return err
	}
	src, ok := fd.kids[fbase]
	if !ok {
		return syscall.ENOENT
	}
	td, tbase, err := m.parent(to)
	if err != nil {
		return err
	}
	if m.readOnly {
		return syscall.EROFS
	}
	if from == to {
		return nil
	}
	if src.kids != nil && strings.HasPrefix(to, from+"/") {
		return syscall.EINVAL // a directory into itself
	}
	if dst, ok := td.kids[tbase]; ok {
		switch {
		case noReplace:
			return syscall.EEXIST
		case dst == src:
			return nil // two links of one file
		case src.kids != nil && dst.kids == nil:
			return syscall.ENOTDIR
		case src.kids == nil && dst.kids != nil:
			return syscall.EISDIR
		case dst.kids != nil && len(dst.kids) > 0:
			return syscall.ENOTEMPTY
		}
		if dst.kids != nil {
			td.a.Nlink--
		} else if dst.a.Nlink--; dst.a.Nlink == 0 {
			m.used -= int64(len(dst.data))
		}
	}
	delete(fd.kids, fbase)
	td.kids[tbase] = src
	if src.kids != nil {
		fd.a.Nlink--
		td.a.Nlink++
	}
	t := now()
	fd.a.Mtime, fd.a.Ctime, td.a.Mtime, td.a.Ctime, src.a.Ctime = t, t, t, t, t
	return nil
}

// Symlink implements FileSystem.
func (m *MemFS) Symlink(target, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.newName(name)
	if err != nil {
		return err
	}
	n := m.newNode(S_IFLNK | 0o777)
	n.target = target
	n.a.Size = int64(len(target))
	d.kids[base] = n
	return nil
}

// Link implements FileSystem.
func (m *MemFS) Link(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(oldname)
	if err != nil {
		return err
	}
	d, base, err := m.newName(newname)
	if err != nil {
		return err
	}
	if n.kids != nil {
		return syscall.EPERM // hard links to directories
	}
	d.kids[base] = n
	n.a.Nlink++
	n.a.Ctime = now()
	return nil
}

// Setattr implements FileSystem.
func (m *MemFS) Setattr(name string, s SetAttr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return err
	}
	return m.setattr(n, s)
}

func (m *MemFS) setattr(n *node, s SetAttr) error {
	if m.readOnly {
		return syscall.EROFS
	}
	if s.Size != nil {
		switch {
		case n.kids != nil:
			return syscall.EISDIR
		case n.a.Mode&S_IFMT != S_IFREG || n.gen != nil:
			return syscall.EINVAL
		case *s.Size < 0:
			return syscall.EINVAL
		}
		if err := m.resize(n, *s.Size); err != nil {
			return err
		}
		n.a.Mtime = now()
	}
	if s.Mode != nil {
		n.a.Mode = n.a.Mode&S_IFMT | *s.Mode&0o7777
	}
	if s.UID != nil {
		n.a.UID = *s.UID
	}
	if s.GID != nil {
		n.a.GID = *s.GID
	}
	if s.Atime != nil {
		n.a.Atime = *s.Atime
	}
	if s.Mtime != nil {
		n.a.Mtime = *s.Mtime
	}
	n.a.Ctime = now()
	return nil
}

// resize makes n's data size bytes long, zero-filled, within the limit.
func (m *MemFS) resize(n *node, size int64) error {
	old := int64(len(n.data))
	if size > old && m.limit > 0 && m.used+size-old > m.limit {
		return syscall.ENOSPC
	}
	if size > int64(cap(n.data)) {
		c := 2 * int64(cap(n.data))
		if c < size {
			c = size
		}
		if c > size+1<<20 {
			c = size + 1<<20
		}
		d := make([]byte, size, c)
		copy(d, n.data)
		n.data = d
	} else {
		if size < old {
			clear(n.data[size:old])
		}
		n.data = n.data[:size]
	}
	m.used += size - old
	return nil
}

// Statfs implements FileSystem.
func (m *MemFS) Statfs() Statfs {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Statfs{Type: m.magic, Bsize: 4096, Namelen: 255, ReadOnly: m.readOnly, Files: int64(m.nextIno)}
	if m.limit > 0 {
		s.Blocks = m.limit / 4096
		s.Bfree = (m.limit - m.used) / 4096
	} else {
		s.Blocks = (m.used + 4095) / 4096
	}
	return s
}

// memHandle is an open file of a MemFS.
type memHandle struct {
	m    *MemFS
	n    *node
	snap []byte // generated content, fixed at open
}

func (h *memHandle) content() []byte {
	if h.n.gen != nil {
		return h.snap
	}
	return h.n.data
}

func (h *memHandle) ReadAt(p []byte, off int64) (int, error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.n.kids != nil {
		return 0, syscall.EISDIR
	}
	d := h.content()
	if off >= int64(len(d)) {
		return 0, io.EOF
	}
	n := copy(p, d[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *memHandle) WriteAt(p []byte, off int64) (int, error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	switch {
	case h.n.kids != nil:
		return 0, syscall.EISDIR
	case h.m.readOnly:
		return 0, syscall.EROFS
	case h.n.gen != nil:
		return 0, syscall.EINVAL
	}
	end := off + int64(len(p))
	if end < off {
		return 0, syscall.EFBIG
	}
	if end > int64(len(h.n.data)) {
		if err := h.m.resize(h.n, end); err != nil {
			return 0, err
		}
	}
	copy(h.n.data[off:], p)
	h.n.a.Mtime, h.n.a.Ctime = now(), now()
	return len(p), nil
}

func (h *memHandle) Attr() (Attr, error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	a := h.n.attr()
	if h.n.gen != nil {
		a.Size = int64(len(h.snap))
		a.Blocks = (a.Size + 511) / 512
	}
	return a, nil
}

func (h *memHandle) Setattr(s SetAttr) error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.m.setattr(h.n, s)
}

func (h *memHandle) ReadDir() ([]DirEntry, error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.n.kids == nil {
		return nil, syscall.ENOTDIR
	}
	out := make([]DirEntry, 0, len(h.n.kids))
	for name, k := range h.n.kids {
		out = append(out, DirEntry{Name: name, Ino: k.a.Ino, Mode: k.a.Mode & S_IFMT})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (h *memHandle) Sync() error  { return nil }
func (h *memHandle) Close() error { return nil }
