package fs

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/services/relay"
)

// serveFile runs one descriptor call on f, as the relay server would, and returns its result.
func serveFile(t *testing.T, f *openFile, nr int, args ...uint64) int64 {
	t.Helper()
	var a [6]uint64
	copy(a[:], args)
	var res int64
	replied := false
	r := relay.NewRequest(nr, f.obj, -1, uint32(f.flags), a, func(c relay.Completion) { res, replied = c.Result, true })
	f.serve(&call{v: f.v, r: r})
	if !replied {
		t.Fatalf("call %d: no reply", nr)
	}
	return res
}

// TestMmapCoherence maps a tmpfs file into an alias (a Go buffer standing for the kernel's alias
// frames) and checks that the mapping follows pwrite, ftruncate and truncate(2)'s zeroing, that
// PROT_WRITE-free errors hold, and that the unmap notice trims and releases the alias.
func TestMmapCoherence(t *testing.T) {
	tmp := NewMemFS(TmpfsMagic, 1<<20)
	h, err := tmp.Open("db", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt([]byte("hello mmap, hello"), 0); err != nil {
		t.Fatal(err)
	}
	v := NewVFS(tmp, nil)
	f := &openFile{v: v, m: v.mounts[0], h: h, path: "/db", flags: syscall.O_RDWR, obj: 7}
	alias := make([]byte, 8192)
	for i := range alias {
		alias[i] = 0xee // the kernel's frames are zeroed; this shows what mmap wrote
	}
	aliasAddr := uint64(uintptr(unsafe.Pointer(&alias[0])))
	const user = 0x7000_0000_0000
	if got := serveFile(t, f, syscall.SYS_MMAP, user, 8192, syscall.PROT_READ, syscall.MAP_SHARED, aliasAddr, 0); got != user {
		t.Fatalf("mmap = %#x, want the user address %#x", got, user)
	}
	if string(alias[:17]) != "hello mmap, hello" || alias[17] != 0xee {
		t.Fatalf("after mmap the alias holds %q then %#x; want the file, and the rest untouched (zero frames)", alias[:17], alias[17])
	}
	buf := []byte("HELLO")
	pw := func(p []byte, off uint64) int64 {
		return serveFile(t, f, syscall.SYS_PWRITE64, 3, uint64(uintptr(unsafe.Pointer(&p[0]))), uint64(len(p)), off)
	}
	if n := pw(buf, 0); n != 5 || string(alias[:5]) != "HELLO" {
		t.Errorf("pwrite at 0: %d, alias %q", n, alias[:5])
	}
	if n := pw([]byte("beyond"), 9000); n != 6 {
		t.Errorf("pwrite beyond the mapping: %d", n)
	}
	if n := pw([]byte("edge"), 8190); n != 4 || string(alias[8190:]) != "ed" {
		t.Errorf("pwrite across the mapping's end: %d, alias %q", n, alias[8190:])
	}
	if r := serveFile(t, f, syscall.SYS_FTRUNCATE, 3, 4); r != 0 || string(alias[:4]) != "HELL" || alias[4] != 0 || alias[8191] != 0 {
		t.Errorf("ftruncate 4: %d, alias %q ... %#x", r, alias[:5], alias[8191])
	}
	// A second open file of the same file: its writes reach the mapping too.
	h2, _ := tmp.Open("db", syscall.O_RDWR, 0)
	f2 := &openFile{v: v, m: v.mounts[0], h: h2, path: "/db", flags: syscall.O_RDWR, obj: 8}
	p := []byte("xy")
	if n := serveFile(t, f2, syscall.SYS_PWRITE64, 4, uint64(uintptr(unsafe.Pointer(&p[0]))), 2, 100); n != 2 || string(alias[100:102]) != "xy" {
		t.Errorf("pwrite through another open file: %d, alias %q", n, alias[100:102])
	}
	// Errors: a write-only descriptor, a directory.
	fw := &openFile{v: v, m: v.mounts[0], h: h, path: "/db", flags: syscall.O_WRONLY, obj: 9}
	if r := serveFile(t, fw, syscall.SYS_MMAP, user, 4096, syscall.PROT_READ, syscall.MAP_SHARED, aliasAddr, 0); r != -int64(syscall.EACCES) {
		t.Errorf("mmap of a write-only descriptor: %d, want EACCES", r)
	}
	fd := &openFile{v: v, m: v.mounts[0], h: h, path: "/", dir: true, flags: syscall.O_RDONLY, obj: 10}
	if r := serveFile(t, fd, syscall.SYS_MMAP, user, 4096, syscall.PROT_READ, syscall.MAP_SHARED, aliasAddr, 0); r != -int64(syscall.ENODEV) {
		t.Errorf("mmap of a directory: %d, want ENODEV", r)
	}
	// munmap of the first page: its alias page goes back, the second page stays mapped.
	var freed [][2]uintptr
	defer func(old func(a, l uintptr)) { unmapAlias = old }(unmapAlias)
	unmapAlias = func(a, l uintptr) { freed = append(freed, [2]uintptr{a, l}) }
	v.unmapped(user, 4096)
	if len(freed) != 1 || freed[0] != [2]uintptr{uintptr(aliasAddr), 4096} {
		t.Errorf("unmap of the first page released %x, want the alias's first page", freed)
	}
	alias[0], alias[4096] = 1, 1
	pw([]byte("ab"), 0)
	pw([]byte("cd"), 4096)
	if alias[0] != 1 || string(alias[4096:4098]) != "cd" {
		t.Errorf("after the partial unmap: page 0 %#x (want untouched), page 1 %q (want the write)", alias[0], alias[4096:4098])
	}
	v.unmapped(user, 8192)
	if len(freed) != 2 || freed[1] != [2]uintptr{uintptr(aliasAddr) + 4096, 4096} || len(v.maps.maps) != 0 {
		t.Errorf("unmap of the rest released %x, %d mappings left", freed, len(v.maps.maps))
	}
}
