package extfs

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/services/fs/extfs/disk"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// logDevice is a device with a volatile write cache, as a disk with its cache on (or QEMU's
// writeback cache) behaves: it records every write and flush, so that a test can rebuild what
// a crash at any point could leave on the medium.
type logDevice struct {
	cur  []byte  // what reads see
	log  []devOp // writes and flushes in order
	init []byte  // the medium before the first write
}

type devOp struct {
	off  int64
	data []byte // nil for a flush
}

func (d *logDevice) ReadAt(p []byte, off int64) (int, error) { return copy(p, d.cur[off:]), nil }

// WriteAt records the write sector by sector: a crash may tear a request, never a 512-byte
// sector.
func (d *logDevice) WriteAt(p []byte, off int64) (int, error) {
	for i := 0; i < len(p); i += 512 {
		d.log = append(d.log, devOp{off + int64(i), append([]byte(nil), p[i:min(i+512, len(p))]...)})
	}
	return copy(d.cur[off:], p), nil
}
func (d *logDevice) Flush() error {
	d.log = append(d.log, devOp{})
	return nil
}
func (d *logDevice) Size() int64 { return int64(len(d.cur)) }

// crash returns what the medium may hold after a crash once the first k operations of the log
// were issued: everything before the last flush among them, and a random subset of the writes
// after it (a cache writes back in any order).
func (d *logDevice) crash(k int, r *rand.Rand) []byte {
	img := append([]byte(nil), d.init...)
	last := 0
	for i := 0; i < k; i++ {
		if d.log[i].data == nil {
			last = i + 1
		}
	}
	for i := 0; i < last; i++ {
		if op := d.log[i]; op.data != nil {
			copy(img[op.off:], op.data)
		}
	}
	for i := last; i < k; i++ {
		if op := d.log[i]; op.data != nil && r.Intn(2) == 0 {
			copy(img[op.off:], op.data)
		}
	}
	return img
}

// TestCrash runs a workload of fsync'd writes, renames over existing files, directory changes
// and deletions, and rebuilds the medium as a crash after each device operation could leave it
// (the writes since the last flush kept at random). Every such image must mount (replaying the
// journal), hold every file as the last fsync before the crash left it or as a later version,
// and be clean for e2fsck. Where the crash left committed transactions in the journal, e2fsck
// itself must replay them to the same result.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of mounts and e2fsck runs")
	}
	needTool(t, "e2fsck")
	const size = 8 << 20
	base := newImage(t, size, mkfs.Options{BlockSize: 1024})
	init, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	d := &logDevice{cur: append([]byte(nil), init...), init: init}
	f, err := Mount(d, Options{CommitInterval: -1, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	// versions[name] lists every content name had, in order; synced records, after each
	// fsync, the log length and the index of each file's current version.
	versions := map[string][]string{}
	var synced []syncPoint
	cur := map[string]int{}
	sync := func(h interface{ Sync() error }) {
		if err := h.Sync(); err != nil {
			t.Fatal(err)
		}
		snap := map[string]int{}
		for k, v := range cur {
			snap[k] = v
		}
		synced = append(synced, syncPoint{len(d.log), snap})
	}
	save := func(name, c string, syncDir bool) {
		// The safe-save pattern: write a temporary file, fsync it, rename it over the name,
		// fsync the directory. Without the last fsync the next save's data may go to the
		// blocks the rename freed: they must not be reused before the rename commits.
		h, err := f.Open(name+".tmp", syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteAt([]byte(c), 0); err != nil {
			t.Fatal(err)
		}
		sync(h)
		h.Close()
		if err := f.Rename(name+".tmp", name, false); err != nil {
			t.Fatal(err)
		}
		versions[name] = append(versions[name], c)
		cur[name] = len(versions[name]) - 1
		if syncDir {
			dir, _ := f.Open("", syscall.O_RDONLY, 0)
			sync(dir)
			dir.Close()
		}
	}
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("file%d", i%4)
		save(name, content(100+i, 300+i*1500), i%3 != 1)
		if i%5 == 2 {
			dn := fmt.Sprintf("dir%d", i)
			if err := f.Mkdir(dn, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, f, dn+"/x", "x")
		}
		if i == 8 {
			if err := f.Remove("dir2/x", false); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.Close()
	t.Logf("%d device operations, %d fsyncs", len(d.log), len(synced))

	r := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	replayedByE2fsck := 0
	// Crash points: just before and after each flush, and a sample of the others.
	var points []int
	for k := 0; k <= len(d.log); k++ {
		if k == len(d.log) || d.log[k].data == nil || k > 0 && d.log[k-1].data == nil || r.Intn(40) == 0 {
			points = append(points, k)
		}
	}
	t.Logf("%d crash points", len(points))
	for i, k := range points {
		img := d.crash(k, r)
		want := synced[lastSync(synced, k)].current
		// What e2fsck makes of the crashed image when its journal holds transactions: it
		// replays them, finds the result clean, and the files are as our own recovery has them.
		if needsRecovery(img) && replayedByE2fsck < 12 {
			replayedByE2fsck++
			p := filepath.Join(dir, "e2fsck.img")
			os.WriteFile(p, img, 0o644)
			out, err := exec.Command(needTool(t, "e2fsck"), "-fy", p).CombinedOutput()
			if err != nil {
				t.Fatalf("crash after op %d: e2fsck -fy: %v\n%s", k, err, out)
			}
			fsck(t, p)
			b, _ := os.ReadFile(p)
			checkCrash(t, k, b, versions, want, true)
		}
		// Our mount recovers the image; the files are there; e2fsck finds what it left clean.
		m := checkCrash(t, k, img, versions, want, false)
		if i%4 == 0 || k == len(d.log) {
			p := filepath.Join(dir, "mounted.img")
			os.WriteFile(p, m, 0o644)
			fsck(t, p)
		}
	}
	if replayedByE2fsck == 0 {
		t.Errorf("no crash point left a journal for e2fsck to replay")
	}
}

// syncPoint is the state an fsync made durable: the device log's length when it returned and
// the version of each file then.
type syncPoint struct {
	at      int
	current map[string]int
}

// lastSync returns the index of the last fsync completed within the first k operations.
func lastSync(synced []syncPoint, k int) int {
	i := 0
	for j, p := range synced {
		if p.at <= k {
			i = j
		}
	}
	return i
}

// needsRecovery reports whether the journal of a crashed image holds transactions.
func needsRecovery(img []byte) bool {
	sb := disk.DecodeSuper(img[disk.SuperOffset:])
	if sb.FeatureIncompat&disk.IncompatRecover == 0 {
		return false
	}
	m := &MemDevice{B: append([]byte(nil), img...)}
	f := &FS{dev: m, cache: map[uint32]*buf{}, txn: map[uint32]*buf{}, freed: map[uint32]bool{}, inodes: map[uint32]*inode{}, opt: Options{CacheBlocks: 64}}
	if f.readSuper(m.Size()) != nil || f.loadJournal() != nil {
		return false
	}
	return f.jnl.sb.Start != 0
}

// checkCrash mounts a crashed image in memory (recovering it; read-only when it was recovered
// already) and checks each file of want: it must hold the version want names, or a later one
// (a later save may have reached the medium, never an earlier or a torn one). Before the first
// fsync (want empty) nothing is required. It returns the image as the mount left it.
func checkCrash(t *testing.T, k int, img []byte, versions map[string][]string, want map[string]int, readOnly bool) []byte {
	t.Helper()
	m := &MemDevice{B: append([]byte(nil), img...)}
	f, err := Mount(m, Options{CommitInterval: -1, ReadOnly: readOnly})
	if err != nil {
		t.Fatalf("crash after op %d: mount: %v", k, err)
	}
	for name, v := range want {
		got, err := readFile(f, name)
		if err != nil {
			t.Fatalf("crash after op %d: %s: %v (want version %d)", k, name, err, v)
		}
		ok := false
		for _, c := range versions[name][v:] {
			ok = ok || got == c
		}
		if !ok {
			t.Fatalf("crash after op %d: %s holds %d bytes, not version %d or later", k, name, len(got), v)
		}
	}
	if !readOnly {
		f.Close()
	}
	return m.B
}
