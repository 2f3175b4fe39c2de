// Package extfs is the file system of unikgen's persistent volumes: ext3 (ext2 with a JBD2
// metadata journal) on a block device, behind services/fs's FileSystem interface. It runs in
// program context, on the volume's own goroutine (services/fs mounts it asynchronously), and
// waits for the device there.
//
// Why ext3 (docs/files.md, "Persistent volumes"): its journal makes every operation atomic
// across a crash, rename is an ordinary metadata change (write-then-rename saves safely), and
// the host's standard tools make, check and fill images (mke2fs -t ext3 -d, e2fsck, debugfs,
// Linux itself). Package mkfs makes new volumes.
//
// Crash safety is ext3's data=ordered mode. File data is written in place: held in memory
// (data.go) and written back before the next commit; metadata changes (inodes, bitmaps, directories, indirect blocks, the superblock and
// group descriptors) collect in memory in the running transaction. A commit writes the
// transaction's blocks to the journal, flushes the device, writes the commit block and flushes
// again: from then on the transaction survives a crash. Then the blocks are written home,
// flushed, and the journal marked empty, so that the file system on the device is complete and
// clean as soon as a commit returns (e2fsck -n finds nothing to say). fsync and fdatasync
// commit; so does a timer (Options.CommitInterval) and a transaction grown large. A block freed
// in the running transaction is not reused before it commits, so a crash never leaves a file
// pointing at another file's data. At mount, a journal holding committed transactions is
// replayed (as e2fsck and Linux would), and inodes unlinked while open (the orphan list) are
// freed.
//
// Supported: ext2 and ext3 file systems with 1, 2 or 4 KiB blocks and the features mke2fs -t
// ext3 gives (has_journal, ext_attr, resize_inode, dir_index, filetype, sparse_super,
// large_file) plus flex_bg, huge_file, dir_nlink and extra_isize. A file system with other
// incompatible features (ext4's extent, 64bit, metadata_csum_seed, inline_data...) is refused
// at mount, naming them; one with other read-only-compatible features (metadata_csum,
// uninit_bg...) is mounted read-only, and writes get EROFS. Hashed directories (dir_index) are
// read linearly; a change to one clears its index flag, as the format allows. ext2 (no journal)
// works, without crash safety: its commits write the blocks home in place.
//
// References: package disk (the ext2 format), package jbd2 (the journal), Linux
// Documentation/filesystems/ext4/ and fs/ext2, e2fsprogs.
package extfs

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/fs/extfs/disk"
	"github.com/unikgen/unikgen/services/fs/extfs/jbd2"
)

// Device is the block device a file system lives on (services/fs.BlockDevice, or an image file
// on the host).
type Device interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Flush makes completed writes durable.
	Flush() error
	Size() int64
}

// Options tune a mount.
type Options struct {
	// ReadOnly mounts without writing anything (a journal that needs recovery is then an error).
	ReadOnly bool
	// CommitInterval is how often the running transaction is committed when nobody calls
	// fsync: 0 means DefaultCommitInterval, a negative value never (tests).
	CommitInterval time.Duration
	// Log receives the file system's messages (recovery done, read-only because of a feature,
	// corruption found); nil discards them.
	Log func(format string, args ...any)
	// Now returns the time in nanoseconds since the epoch (default time.Now).
	Now func() int64
	// CacheBlocks bounds the clean metadata blocks kept in memory (default 1024).
	CacheBlocks int
}

// DefaultCommitInterval is ext3's default commit interval.
const DefaultCommitInterval = 5 * time.Second

// FS is a mounted ext2/ext3 file system.
type FS struct {
	mu       sync.Mutex
	dev      Device
	opt      Options
	sb       *disk.Super
	bs       int
	groups   []disk.Group
	filetype bool
	readOnly error  // why the file system is read-only (EROFS), or nil
	failed   error  // a device error during a commit: every later call fails with EIO
	ptrs     uint32 // block pointers per indirect block

	cache  map[uint32]*buf
	lru    lruList
	txn    map[uint32]*buf // dirty metadata blocks of the running transaction
	freed  map[uint32]bool // blocks freed in the running transaction: not reused before it commits
	inodes map[uint32]*inode
	// dirtyData are file data blocks written and not yet on the device (data.go).
	dirtyData map[uint32][]byte
	jnl       *journal
	gen       uint32 // i_generation of the next inode

	stop chan struct{}
	// dataGen counts the operations that may change files (op with write set); a read-ahead
	// made in another generation is not used.
	dataGen uint64
	// stat is the last statfs(2) answer, for callers that must not wait for the lock (the
	// relay server listing /proc/self/mounts).
	stat atomic.Pointer[fs.Statfs]
}

// errno values used here.
var (
	errNoEnt    = syscall.ENOENT
	errNotDir   = syscall.ENOTDIR
	errIsDir    = syscall.EISDIR
	errExist    = syscall.EEXIST
	errNotEmpty = syscall.ENOTEMPTY
	errInval    = syscall.EINVAL
	errIO       = syscall.EIO
	errNoSpc    = syscall.ENOSPC
	errROFS     = syscall.EROFS
	errFBig     = syscall.EFBIG
	errMLink    = syscall.EMLINK
	errNameLong = syscall.ENAMETOOLONG
	errPerm     = syscall.EPERM
	errNXIO     = syscall.ENXIO
	errBusy     = syscall.EBUSY
)

// A CorruptError reports damaged on-disk data met while serving a call; the call fails with
// EIO and the message is logged.
type CorruptError struct{ Msg string }

func (e *CorruptError) Error() string { return "corrupt file system: " + e.Msg }

// Is makes a CorruptError an EIO for services/fs's errno mapping.
func (e *CorruptError) Is(target error) bool { return target == syscall.EIO }

func (f *FS) corrupt(format string, args ...any) error {
	e := &CorruptError{Msg: fmt.Sprintf(format, args...)}
	f.logf("%v", e)
	return syscall.EIO
}

func (f *FS) logf(format string, args ...any) {
	if f.opt.Log != nil {
		f.opt.Log(format, args...)
	}
}

func (f *FS) now() int64 {
	if f.opt.Now != nil {
		return f.opt.Now()
	}
	return time.Now().UnixNano()
}

// Mount reads the file system on dev: the superblock and group descriptors are checked, a
// journal that holds committed transactions is replayed and orphaned inodes are freed. A
// device that holds no usable file system gets an error saying why.
func Mount(dev Device, opt Options) (*FS, error) {
	f := &FS{dev: dev, opt: opt, cache: map[uint32]*buf{}, txn: map[uint32]*buf{},
		freed: map[uint32]bool{}, inodes: map[uint32]*inode{}}
	if f.opt.CacheBlocks <= 0 {
		f.opt.CacheBlocks = 1024
	}
	if err := f.mount(); err != nil {
		return nil, err
	}
	st := f.statfs()
	f.stat.Store(&st)
	if f.readOnly == nil && f.opt.CommitInterval >= 0 {
		iv := f.opt.CommitInterval
		if iv == 0 {
			iv = DefaultCommitInterval
		}
		f.stop = make(chan struct{})
		go f.committer(iv)
	}
	return f, nil
}

func (f *FS) mount() (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("internal error reading the file system: %v\n%s", x, debug.Stack())
		}
	}()
	size := f.dev.Size()
	if size < disk.SuperOffset+disk.SuperSize {
		return fmt.Errorf("the device has %d bytes: too small for a file system", size)
	}
	if err := f.readSuper(size); err != nil {
		return err
	}
	_, ro := f.sb.Unsupported()
	if f.sb.FeatureIncompat&disk.IncompatJournalDev != 0 || f.sb.JournalDev != 0 {
		return errors.New("the file system's journal is on another device: not supported")
	}
	if ro != "" {
		f.readOnly = fmt.Errorf("features %s cannot be written", ro)
	}
	if f.opt.ReadOnly {
		f.readOnly = errors.New("mounted read-only")
	}
	if f.sb.FeatureCompat&disk.CompatHasJournal != 0 && f.sb.JournalInum != 0 {
		if err := f.loadJournal(); err != nil {
			return err
		}
		if err := f.recover(); err != nil {
			return err
		}
	} else if f.sb.FeatureIncompat&disk.IncompatRecover != 0 {
		return errors.New("the superblock says the journal needs recovery, but there is no journal")
	}
	root, err := f.iget(disk.RootIno)
	if err != nil {
		return fmt.Errorf("root directory: %v", err)
	}
	if !root.d.IsDir() || root.d.Links == 0 {
		return fmt.Errorf("corrupt file system: the root inode is not a directory (mode %#o)", root.d.Mode)
	}
	if f.readOnly != nil {
		if f.readOnly.Error() != "mounted read-only" {
			f.logf("read-only: %v", f.readOnly)
		}
		return nil
	}
	if err := f.processOrphans(); err != nil {
		return err
	}
	// Mark the file system in use, as Linux does: a journaled one needs recovery from now on (the
	// journal is replayed at the next mount even if empty); ext2 is not clean until unmounted,
	// which a unikernel never does, so e2fsck checks it after every use.
	f.sb.MntCount++
	f.sb.Mtime = uint32(f.now() / 1e9)
	f.sb.Wtime = f.sb.Mtime
	if f.jnl != nil {
		f.sb.FeatureIncompat |= disk.IncompatRecover
	} else {
		if f.sb.State&disk.StateValid == 0 {
			f.logf("the file system was not cleanly unmounted and has no journal: check it with e2fsck")
		}
		f.sb.State &^= disk.StateValid
	}
	f.dirtySuper()
	if err := f.commitLocked(); err != nil {
		return err
	}
	return nil
}

// readSuper reads and checks the superblock and the group descriptors.
func (f *FS) readSuper(devSize int64) error {
	b := make([]byte, disk.SuperSize)
	if _, err := f.dev.ReadAt(b, disk.SuperOffset); err != nil {
		return fmt.Errorf("reading the superblock: %v", err)
	}
	sb := disk.DecodeSuper(b)
	if err := sb.Check(devSize); err != nil {
		return err
	}
	if inc, _ := sb.Unsupported(); inc != "" {
		return fmt.Errorf("the file system has features this implementation cannot read: %s (make volumes with `mke2fs -t ext3`, or let `unikgen run -volume` create them)", inc)
	}
	f.sb = sb
	f.bs = sb.BlockSize()
	f.ptrs = uint32(f.bs / 4)
	f.filetype = sb.FeatureIncompat&disk.IncompatFiletype != 0
	if sb.GroupDescSize() != disk.GroupDescSize {
		return fmt.Errorf("group descriptors of %d bytes are not supported", sb.GroupDescSize())
	}
	f.groups = f.groups[:0]
	for g := uint32(0); g < sb.Groups(); g++ {
		blk, off := f.gdLoc(g)
		bb, err := f.bread(blk)
		if err != nil {
			return fmt.Errorf("reading group descriptor %d: %v", g, err)
		}
		gd := disk.DecodeGroup(bb.data[off:])
		if err := sb.CheckGroup(g, gd); err != nil {
			return err
		}
		f.groups = append(f.groups, gd)
	}
	return nil
}

// gdLoc returns the block and offset of group g's descriptor in the primary table.
func (f *FS) gdLoc(g uint32) (uint32, int) {
	per := uint32(f.bs / disk.GroupDescSize)
	return f.sb.FirstDataBlock + 1 + g/per, int(g%per) * disk.GroupDescSize
}

// superLoc returns the block and offset of the primary superblock.
func (f *FS) superLoc() (uint32, int) {
	if f.bs == 1024 {
		return 1, 0
	}
	return 0, disk.SuperOffset
}

// dirtySuper puts the in-memory superblock into its block, in the running transaction.
func (f *FS) dirtySuper() {
	blk, off := f.superLoc()
	b, err := f.bread(blk)
	if err != nil {
		// The superblock's block was read at mount; it is cached or readable.
		f.failed = err
		return
	}
	copy(b.data[off:], f.sb.Encode())
	f.dirty(b)
}

// dirtyGroup puts group g's descriptor into its block, in the running transaction.
func (f *FS) dirtyGroup(g uint32) error {
	blk, off := f.gdLoc(g)
	b, err := f.bread(blk)
	if err != nil {
		return err
	}
	f.groups[g].Encode(b.data[off:])
	f.dirty(b)
	return nil
}

// committer commits the running transaction every interval.
func (f *FS) committer(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			f.mu.Lock()
			if len(f.txn) > 0 && f.failed == nil {
				f.commitLocked()
			}
			f.mu.Unlock()
		}
	}
}

// Sync commits the running transaction and flushes the device.
func (f *FS) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sync()
}

func (f *FS) sync() error {
	if f.failed != nil {
		return errIO
	}
	if f.readOnly != nil {
		return nil
	}
	if len(f.txn) > 0 {
		return f.commitLocked()
	}
	if err := f.flushData(); err != nil {
		return err
	}
	if err := f.dev.Flush(); err != nil {
		return f.fail(err)
	}
	return nil
}

// Close commits and stops the commit timer. The file system stays marked in use (as after a
// crash), which the next mount handles; it is for tests.
func (f *FS) Close() error {
	if f.stop != nil {
		close(f.stop)
		f.stop = nil
	}
	return f.Sync()
}

// fail records a device error of a commit: the in-memory state is ahead of the device, so
// nothing more is written.
func (f *FS) fail(err error) error {
	if f.failed == nil {
		f.failed = err
		f.logf("device error, the file system stops writing: %v", err)
	}
	return errIO
}

// op runs fn as one file system operation: under the lock, with device errors and corruption
// turned into errno values, and the running transaction committed when it grows large.
func (f *FS) op(write bool, fn func() error) (err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed != nil {
		return errIO
	}
	if write && f.readOnly != nil {
		return errROFS
	}
	if write {
		f.dataGen++ // any change may move or rewrite file blocks: read-aheads are stale
	}
	defer func() {
		if x := recover(); x != nil {
			f.logf("internal error: %v\n%s", x, debug.Stack())
			f.failed = fmt.Errorf("internal error: %v", x)
			err = errIO
		}
	}()
	err = fn()
	if write && f.failed == nil && f.jnl != nil && len(f.txn) >= f.jnl.soft {
		if cerr := f.commitLocked(); err == nil {
			err = cerr
		}
	}
	f.trimInodes()
	st := f.statfs()
	f.stat.Store(&st)
	return err
}

// statfs answers statfs(2).
func (f *FS) statfs() fs.Statfs {
	return fs.Statfs{
		Type: disk.Magic, Bsize: int64(f.bs), Blocks: int64(f.sb.BlocksCount),
		Bfree: int64(f.sb.FreeBlocks), Files: int64(f.sb.InodesCount), Ffree: int64(f.sb.FreeInodes),
		Namelen: disk.NameMax, ReadOnly: f.readOnly != nil,
	}
}

// sortedTxn returns the running transaction's blocks in block order.
func (f *FS) sortedTxn() []*buf {
	out := make([]*buf, 0, len(f.txn))
	for _, b := range f.txn {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].blk < out[j].blk })
	return out
}

var _ = jbd2.Magic
