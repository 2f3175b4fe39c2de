package fs

// This file serves mmap(2) of regular files (read-only, PROT_READ with MAP_SHARED or
// MAP_PRIVATE) and keeps the mappings coherent with the file. The kernel makes each mapping with
// an alias (runtime/mm/filemap.go): a writable view of the same frames, owned by this service.
// mmap reads the file into the alias; every later write of the file (write, pwrite, writev,
// through any open file of it) and every truncation is copied into the aliases that map the
// bytes it changed, before the call returns, so a program reading through the mapping sees what
// it wrote (bbolt writes with pwrite and reads through the mapping). munmap reaches the service
// as a notice after the kernel unmapped the program's view: the service then unmaps the alias,
// which frees the frames. A mapping beyond the file's end reads zeros there (Linux would raise
// SIGBUS past the page holding the end).

import (
	"io"
	"sync"
	"syscall"

	"github.com/unikgen/unikgen/services/relay"
)

// A fileKey names a file across its open files: its mount and inode number.
type fileKey struct {
	dev, ino uint64
}

// A fileMap is one mapping of a file: the program's address, the alias the service writes,
// their length (whole pages) and the file offset mapped at the start.
type fileMap struct {
	key         fileKey
	user, alias uintptr
	length, off int64
}

// fileMaps holds the file mappings; mu is held while an alias is written or unmapped, so an
// alias is never written after its frames went back.
type fileMaps struct {
	mu   sync.Mutex
	maps []*fileMap
}

// aliasBytes is the alias's memory: the service's own view of the mapping's frames.
func aliasBytes(m *fileMap) []byte {
	b, _ := relay.UserBytes(m.alias, uintptr(m.length))
	return b
}

// Locking: fm.mu is held only to copy into aliases, never across a file system call (which may
// wait for a device whose interrupt the relay server delivers, and the relay server takes fm.mu).
// A file's calls, writes and mmap alike, all run on one goroutine (its mount's), so a write
// cannot come between mmap's read of the file and the mapping's registration.

// mmap serves mmap on open file f: arguments (user address, length, prot, flags, alias, offset)
// as the kernel forwards them (runtime/sys/mem.go). It answers the user address.
func (f *openFile) mmap(c *call, canRead bool) {
	if f.dir || f.h == nil {
		c.fail(syscall.ENODEV)
		return
	}
	if !canRead {
		c.fail(syscall.EACCES)
		return
	}
	a, err := f.h.Attr()
	if err != nil {
		c.done(err)
		return
	}
	if a.Mode&S_IFMT != S_IFREG {
		c.fail(syscall.ENODEV) // a device, a pipe: not mapped
		return
	}
	m := &fileMap{key: fileKey{f.m.dev, a.Ino}, user: uintptr(c.arg(0)), alias: uintptr(c.arg(4)),
		length: int64(c.arg(1)), off: int64(c.arg(5))}
	if m.off < 0 || m.length <= 0 {
		c.fail(syscall.EINVAL)
		return
	}
	b := aliasBytes(m)
	if end := a.Size - m.off; end < int64(len(b)) {
		b = b[:max(end, 0)]
	}
	for done := 0; done < len(b); {
		n, err := f.h.ReadAt(b[done:], m.off+int64(done))
		done += n
		if err == io.EOF || err == nil && n == 0 {
			break // the file shrank meanwhile: zeros
		}
		if err != nil {
			c.done(err)
			return
		}
	}
	fm := &f.v.maps
	fm.mu.Lock()
	fm.maps = append(fm.maps, m)
	fm.mu.Unlock()
	c.reply(int64(m.user))
}

// mappedKey returns the fileKey of f's file, when some file is mapped.
func (f *openFile) mappedKey() (fileKey, bool) {
	fm := &f.v.maps
	fm.mu.Lock()
	n := len(fm.maps)
	fm.mu.Unlock()
	if n == 0 {
		return fileKey{}, false
	}
	a, err := f.h.Attr()
	if err != nil {
		return fileKey{}, false
	}
	return fileKey{f.m.dev, a.Ino}, true
}

// wrote copies p, just written at off in f's file, into the mappings of those bytes.
func (f *openFile) wrote(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	key, ok := f.mappedKey()
	if !ok {
		return
	}
	fm := &f.v.maps
	fm.mu.Lock()
	defer fm.mu.Unlock()
	for _, m := range fm.maps {
		if m.key != key {
			continue
		}
		lo, hi := max(off, m.off), min(off+int64(len(p)), m.off+m.length)
		if lo < hi {
			copy(aliasBytes(m)[lo-m.off:hi-m.off], p[lo-off:hi-off])
		}
	}
}

// truncated zeroes what lies beyond size in the mappings of f's file.
func (f *openFile) truncated(size int64) {
	if key, ok := f.mappedKey(); ok {
		f.v.maps.truncated(key, size)
	}
}

// truncated zeroes what lies beyond size in the mappings of the file key.
func (fm *fileMaps) truncated(key fileKey, size int64) {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	for _, m := range fm.maps {
		if m.key == key && size < m.off+m.length {
			clear(aliasBytes(m)[max(size-m.off, 0):])
		}
	}
}

// unmapAlias unmaps part of an alias (munmap(2): the kernel answers it alone); host tests
// replace it.
var unmapAlias = func(addr, length uintptr) {
	syscall.Syscall(syscall.SYS_MUNMAP, addr, length, 0)
}

// unmapped handles the kernel's notice that the program's mappings in [addr, addr+length) are
// gone: the aliases of those pages are unmapped (their frames freed) and the mappings trimmed.
func (v *VFS) unmapped(addr, length uintptr) {
	fm := &v.maps
	fm.mu.Lock()
	defer fm.mu.Unlock()
	end := addr + length
	var keep []*fileMap
	for _, m := range fm.maps {
		mEnd := m.user + uintptr(m.length)
		lo, hi := max(addr, m.user), min(end, mEnd)
		if lo >= hi {
			keep = append(keep, m)
			continue
		}
		unmapAlias(m.alias+(lo-m.user), hi-lo)
		if m.user < lo { // the part before the hole stays
			keep = append(keep, &fileMap{key: m.key, user: m.user, alias: m.alias, length: int64(lo - m.user), off: m.off})
		}
		if hi < mEnd { // and the part after it
			d := hi - m.user
			keep = append(keep, &fileMap{key: m.key, user: hi, alias: m.alias + d, length: int64(mEnd - hi), off: m.off + int64(d)})
		}
	}
	fm.maps = keep
}
