package extfs

import (
	"encoding/binary"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// fuzzBase holds the images FuzzMount damages: a small volume with files of every kind, and
// the same volume as a crash left it with a committed transaction still in the journal. blocks
// are the metadata blocks worth damaging.
var fuzzBase struct {
	once   sync.Once
	clean  []byte
	dirty  []byte
	blocks []uint32
	bs     int
}

func makeFuzzBase(t testing.TB) {
	const size = 4 << 20
	img := make([]byte, size)
	if err := mkfs.Format(&MemDevice{B: img}, size, mkfs.Options{Zeroed: true}); err != nil {
		t.Fatal(err)
	}
	d := &logDevice{cur: img, init: append([]byte(nil), img...)}
	f, err := Mount(d, Options{CommitInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.Mkdir("a", 0o755)
	f.Mkdir("a/b", 0o700)
	writeFile(t, f, "a/b/small", "small")
	writeFile(t, f, "a/big", content(1, 300<<10))
	for i := 0; i < 40; i++ {
		writeFile(t, f, "a/many-"+strings.Repeat("n", i), "x")
	}
	f.Symlink("b/small", "a/fast")
	f.Symlink(strings.Repeat("long/", 20), "a/slow")
	f.Link("a/b/small", "hard")
	f.Sync()
	for _, name := range []string{"", "a", "a/b", "a/big", "a/slow", "lost+found"} {
		in, err := f.walk(name)
		if err != nil {
			t.Fatal(err)
		}
		for l := uint64(0); l < 300; l++ {
			if p, _, _ := f.bmap(in, l, false, 0); p != 0 && (l == 0 || l > 11) {
				fuzzBase.blocks = append(fuzzBase.blocks, p)
			}
		}
		for _, p := range in.d.Block[12:] {
			if p != 0 {
				fuzzBase.blocks = append(fuzzBase.blocks, p)
			}
		}
	}
	for _, p := range f.jnl.blocks[:4] {
		fuzzBase.blocks = append(fuzzBase.blocks, p)
	}
	fuzzBase.bs = f.bs
	fuzzBase.clean = append([]byte(nil), d.cur...)
	// One more change, committed but not written home: the log up to the commit's second flush.
	writeFile(t, f, "a/late", "late")
	start := len(d.log)
	f.Sync()
	flushes := 0
	for i := start; i < len(d.log); i++ {
		if d.log[i].data == nil {
			if flushes++; flushes == 2 {
				fuzzBase.dirty = d.crash(i+1, nil)
			}
		}
	}
	if fuzzBase.dirty == nil {
		t.Fatal("no committed transaction to keep in the journal")
	}
}

// FuzzMount damages a volume with the input's patches (each: a 32-bit target, a length byte,
// that many bytes), then mounts it, reads every file and link, and changes it. Errors are
// expected; a failure inside the file system (a panic, caught as an internal error) is not.
func FuzzMount(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add([]byte{0, 0x04, 0, 0, 2, 0, 0}, false)                   // superblock: inodes count
	f.Add([]byte{0x38, 0x04, 0, 0, 2, 0x53, 0xef}, true)           // superblock: the magic again
	f.Add([]byte{1, 0, 0, 0x80, 4, 0xff, 0xff, 0xff, 0xff}, false) // a directory block
	f.Add([]byte{5, 0, 0, 0x80, 8, 0, 0, 0, 0, 0x10, 0, 0, 0}, true)
	f.Add([]byte{0x28, 0x0a, 0, 0, 4, 0xff, 0xff, 0, 0}, false) // an inode's block map
	f.Fuzz(func(t *testing.T, patches []byte, dirty bool) {
		fuzzBase.once.Do(func() { makeFuzzBase(t) })
		src := fuzzBase.clean
		if dirty {
			src = fuzzBase.dirty
		}
		img := append([]byte(nil), src...)
		for len(patches) >= 5 {
			target := binary.LittleEndian.Uint32(patches)
			n := int(patches[4])
			patches = patches[5:]
			n = min(n, len(patches))
			var off int
			if target&0x80000000 == 0 {
				off = int(target % (64 << 10)) // superblock, descriptors, bitmaps, inode table
			} else {
				blks := fuzzBase.blocks
				off = int(blks[int(target>>16&0x7fff)%len(blks)])*fuzzBase.bs + int(target&0xffff)%fuzzBase.bs
			}
			copy(img[off:], patches[:n])
			patches = patches[n:]
		}
		m, err := Mount(&MemDevice{B: img}, Options{CommitInterval: -1})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		exercise(m)
		m.Close()
		if m.failed != nil && strings.Contains(m.failed.Error(), "internal error") {
			t.Fatal(m.failed)
		}
	})
}

// exercise reads everything it can reach in m and changes it.
func exercise(m *FS) {
	budget := 200
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		h, err := m.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			return
		}
		ents, _ := h.ReadDir()
		h.Close()
		for _, e := range ents {
			if budget--; budget < 0 || depth > 8 {
				return
			}
			p := e.Name
			if dir != "" {
				p = dir + "/" + e.Name
			}
			a, err := m.Lstat(p)
			if err != nil {
				continue
			}
			switch a.Mode & fs.S_IFMT {
			case fs.S_IFDIR:
				walk(p, depth+1)
			case fs.S_IFLNK:
				m.Readlink(p)
			case fs.S_IFREG:
				if h, err := m.Open(p, syscall.O_RDONLY, 0); err == nil {
					h.ReadAt(make([]byte, 64<<10), 0)
					h.ReadAt(make([]byte, 100), a.Size/2)
					h.Close()
				}
			}
		}
	}
	walk("", 0)
	if h, err := m.Open("new", syscall.O_RDWR|syscall.O_CREAT, 0o644); err == nil {
		h.WriteAt(make([]byte, 20<<10), 3000)
		h.Setattr(fs.SetAttr{Size: ptr(int64(5000))})
		h.Sync()
		h.Close()
	}
	m.Mkdir("a/newdir", 0o755)
	m.Rename("new", "a/newdir/moved", false)
	m.Rename("a/b/small", "a/big", false)
	m.Remove("a/many-nnn", false)
	m.Remove("hard", false)
	m.Symlink("x", "a/b/sym")
	m.Link("a/fast", "a/fast2")
	m.Setattr("a/b", fs.SetAttr{Mode: ptr(uint32(0o700))})
}
