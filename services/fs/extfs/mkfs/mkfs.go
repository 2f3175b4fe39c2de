// Package mkfs makes an empty ext3 file system (ext2 with a journal) on a device or in an image
// file, the format of unikgen's persistent volumes (services/fs/extfs, docs/files.md). It makes
// what `mke2fs -t ext3 -O ^resize_inode,^dir_index,^ext_attr` would: features has_journal,
// filetype, sparse_super and large_file; 256-byte inodes; a root directory, lost+found and an
// internal journal (inode 8), so that e2fsprogs (e2fsck, debugfs, dumpe2fs) and Linux read and
// check it.
//
// The layout follows "The Second Extended File System" (https://www.nongnu.org/ext2-doc/) and
// e2fsprogs' lib/ext2fs (initialize.c, mkjournal.c) for the choices a format leaves open.
package mkfs

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/unikgen/unikgen/services/fs/extfs/disk"
	"github.com/unikgen/unikgen/services/fs/extfs/jbd2"
)

// Options shape the file system. Zero values mean the defaults.
type Options struct {
	// BlockSize is 1024, 2048 or 4096; the default is 1024 below 32 MiB, else 4096.
	BlockSize int
	// BytesPerInode sets the number of inodes (default 16384, as mke2fs).
	BytesPerInode int
	// JournalBlocks is the journal's size in blocks (default from the size, at least 1024, the
	// smallest journal JBD2 takes). NoJournal makes an ext2 file system instead.
	JournalBlocks int
	NoJournal     bool
	// Label is the volume name (at most 16 bytes).
	Label string
	// Zeroed says the device already reads as zeros (a new sparse image file): blocks that must
	// be zero are then not written.
	Zeroed bool
	// Time stamps the file system and its first inodes (default now).
	Time time.Time
	// UUID identifies the file system (default random).
	UUID [16]byte
}

// MinSize is the smallest file system Format makes.
const MinSize = 4 << 20

// Format writes a new file system over the first size bytes of dev.
func Format(dev io.WriterAt, size int64, o Options) error {
	if size < MinSize {
		return fmt.Errorf("mkfs: %d bytes is too small for a volume (at least %d)", size, MinSize)
	}
	if o.BlockSize == 0 {
		o.BlockSize = 4096
		if size < 32<<20 {
			o.BlockSize = 1024
		}
	}
	switch o.BlockSize {
	case 1024, 2048, 4096:
	default:
		return fmt.Errorf("mkfs: block size %d (want 1024, 2048 or 4096)", o.BlockSize)
	}
	if o.BytesPerInode == 0 {
		o.BytesPerInode = 16384
	}
	if o.BytesPerInode < o.BlockSize {
		return fmt.Errorf("mkfs: %d bytes per inode is below the block size", o.BytesPerInode)
	}
	if len(o.Label) > 16 {
		return fmt.Errorf("mkfs: label %q is longer than 16 bytes", o.Label)
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	if o.UUID == ([16]byte{}) {
		if _, err := rand.Read(o.UUID[:]); err != nil {
			return err
		}
		o.UUID[6] = o.UUID[6]&0x0f | 0x40 // version 4
		o.UUID[8] = o.UUID[8]&0x3f | 0x80
	}
	m, err := layout(size, o)
	if err != nil {
		return err
	}
	return m.write(dev)
}

// fsBuilder is the file system being made, in memory until write.
type fsBuilder struct {
	o      Options
	sb     *disk.Super
	bs     int
	groups []disk.Group
	bmaps  [][]byte          // block bitmaps
	imaps  [][]byte          // inode bitmaps
	blocks map[uint32][]byte // contents of data and indirect blocks to write
	inodes map[uint32]*disk.Inode
	zero   []uint32 // blocks to zero (inode tables, the journal) unless the device is zeroed
	zeroN  []uint32 // their counts
	next   uint32   // allocation cursor
}

const (
	lostFoundIno = 11
	inodeSize    = 256
	// lostFoundBytes is the size given to lost+found, as mke2fs does, so that e2fsck can put
	// files there without allocating.
	lostFoundBytes = 16 << 10
)

func layout(size int64, o Options) (*fsBuilder, error) {
	bs := o.BlockSize
	m := &fsBuilder{o: o, bs: bs, blocks: map[uint32][]byte{}, inodes: map[uint32]*disk.Inode{}}
	first := uint32(0)
	logbs := uint32(0)
	for 1024<<logbs < bs {
		logbs++
	}
	if bs == 1024 {
		first = 1
	}
	blocks := uint64(size) / uint64(bs)
	if blocks > 1<<32-1 {
		return nil, errors.New("mkfs: more than 2^32 blocks")
	}
	bpg := uint32(8 * bs)
	t := uint32(o.Time.Unix())
	sb := &disk.Super{
		BlocksCount: uint32(blocks), FirstDataBlock: first, LogBlockSize: logbs, LogClusterSize: logbs,
		BlocksPerGroup: bpg, ClustersPerGrp: bpg, Wtime: t, MaxMntCount: 0xFFFF, Magic: disk.Magic,
		State: disk.StateValid, Errors: disk.ErrorsContinue, LastCheck: t, RevLevel: 1,
		FirstIno: lostFoundIno, InodeSize: inodeSize, FeatureIncompat: disk.IncompatFiletype,
		FeatureRoCompat: disk.RoCompatSparseSuper | disk.RoCompatLargeFile, UUID: o.UUID,
		MkfsTime: t, MinExtraIsize: disk.ExtraIsize, WantExtraIsize: disk.ExtraIsize,
	}
	copy(sb.VolumeName[:], o.Label)
	if !o.NoJournal {
		sb.FeatureCompat |= disk.CompatHasJournal
		sb.JournalInum = disk.JournalIno
	}
	// Inodes per group: from the ratio, filling whole inode table blocks, a multiple of 8.
	for {
		groups := sb.Groups()
		inodes := uint64(size) / uint64(o.BytesPerInode)
		ipg := uint32((inodes + uint64(groups) - 1) / uint64(groups))
		perBlock := uint32(bs / inodeSize)
		ipg = (ipg + perBlock - 1) / perBlock * perBlock
		ipg = (ipg + 7) &^ 7
		ipg = max(ipg, 16)
		ipg = min(ipg, uint32(8*bs))
		sb.InodesPerGroup = ipg
		sb.InodesCount = ipg * groups
		// A last group too small for its own metadata and some data is dropped, as mke2fs does.
		last := groups - 1
		overhead := 2 + sb.InodeTableBlocks()
		if sb.HasSuper(last) {
			overhead += 1 + sb.GDTBlocks()
		}
		if rem := sb.GroupBlocks(last); groups > 1 && rem < overhead+50 {
			sb.BlocksCount -= rem
			continue
		}
		if sb.GroupBlocks(last) < overhead+1 {
			return nil, fmt.Errorf("mkfs: %d bytes is too small", size)
		}
		break
	}
	m.sb = sb
	groups := sb.Groups()
	ipg := sb.InodesPerGroup
	for g := uint32(0); g < groups; g++ {
		bm := make([]byte, bs)
		im := make([]byte, bs)
		n := sb.GroupBlocks(g)
		for i := n; i < uint32(8*bs); i++ {
			disk.SetBit(bm, i)
		}
		for i := ipg; i < uint32(8*bs); i++ {
			disk.SetBit(im, i)
		}
		start := sb.GroupStart(g)
		used := uint32(0)
		if sb.HasSuper(g) {
			used = 1 + sb.GDTBlocks()
		}
		gd := disk.Group{BlockBitmap: start + used, InodeBitmap: start + used + 1, InodeTable: start + used + 2}
		used += 2 + sb.InodeTableBlocks()
		for i := uint32(0); i < used; i++ {
			disk.SetBit(bm, i)
		}
		m.zero = append(m.zero, gd.InodeTable)
		m.zeroN = append(m.zeroN, sb.InodeTableBlocks())
		m.groups = append(m.groups, gd)
		m.bmaps = append(m.bmaps, bm)
		m.imaps = append(m.imaps, im)
	}
	// Reserved inodes 1..10 are in use; so is lost+found.
	for ino := uint32(1); ino <= lostFoundIno; ino++ {
		disk.SetBit(m.imaps[0], ino-1)
	}
	m.next = first
	if err := m.makeRoot(); err != nil {
		return nil, err
	}
	if !o.NoJournal {
		if err := m.makeJournal(size); err != nil {
			return nil, err
		}
	}
	// Counts.
	var freeB, freeI uint32
	for g := range m.groups {
		fb := disk.CountClear(m.bmaps[g], sb.GroupBlocks(uint32(g)))
		fi := disk.CountClear(m.imaps[g], ipg)
		m.groups[g].FreeBlocks, m.groups[g].FreeInodes = uint16(fb), uint16(fi)
		freeB += fb
		freeI += fi
	}
	m.groups[0].UsedDirs = 2
	sb.FreeBlocks, sb.FreeInodes = freeB, freeI
	return m, nil
}

// alloc takes the next free block.
func (m *fsBuilder) alloc() (uint32, error) {
	for b := m.next; b < m.sb.BlocksCount; b++ {
		g := (b - m.sb.FirstDataBlock) / m.sb.BlocksPerGroup
		i := (b - m.sb.FirstDataBlock) % m.sb.BlocksPerGroup
		if !disk.TestBit(m.bmaps[g], i) {
			disk.SetBit(m.bmaps[g], i)
			m.next = b + 1
			return b, nil
		}
	}
	return 0, errors.New("mkfs: the file system is too small for its journal")
}

// mapBlocks allocates n data blocks for an inode, with the indirect blocks that map them, each
// indirect block just before the blocks it maps. It returns the data blocks in file order and
// the number of blocks allocated in all.
func (m *fsBuilder) mapBlocks(in *disk.Inode, n int) ([]uint32, int, error) {
	per := m.bs / 4
	var data []uint32
	total := 0
	take := func() (uint32, error) {
		b, err := m.alloc()
		total++
		return b, err
	}
	// fill allocates the data under an indirect block of the given depth (0: a data block) and
	// returns its number.
	var fill func(depth int) (uint32, error)
	fill = func(depth int) (uint32, error) {
		b, err := take()
		if err != nil || depth == 0 {
			if err == nil {
				data = append(data, b)
			}
			return b, err
		}
		blk := make([]byte, m.bs)
		m.blocks[b] = blk
		for i := 0; i < per && len(data) < n; i++ {
			c, err := fill(depth - 1)
			if err != nil {
				return 0, err
			}
			le32(blk[4*i:], c)
		}
		return b, nil
	}
	for i := 0; i < disk.NDirect && len(data) < n; i++ {
		b, err := fill(0)
		if err != nil {
			return nil, 0, err
		}
		in.Block[i] = b
	}
	for depth := 1; depth <= 3 && len(data) < n; depth++ {
		b, err := fill(depth)
		if err != nil {
			return nil, 0, err
		}
		in.Block[disk.NDirect+depth-1] = b
	}
	if len(data) < n {
		return nil, 0, errors.New("mkfs: file too large for the block map")
	}
	in.Blocks = uint64(total * m.bs / 512)
	return data, total, nil
}

func (m *fsBuilder) newInode(mode uint16, links uint16) *disk.Inode {
	ns := m.o.Time.UnixNano()
	return &disk.Inode{Mode: mode, Links: links, Atime: ns, Ctime: ns, Mtime: ns, Crtime: ns, ExtraIsize: disk.ExtraIsize}
}

// makeRoot makes the root directory and lost+found.
func (m *fsBuilder) makeRoot() error {
	ft := true
	root := m.newInode(disk.ModeDir|0o755, 3)
	data, _, err := m.mapBlocks(root, 1)
	if err != nil {
		return err
	}
	root.Size = uint64(m.bs)
	b := make([]byte, m.bs)
	disk.PutDirent(b, 0, disk.RootIno, 12, ".", disk.FtDir, ft)
	disk.PutDirent(b, 12, disk.RootIno, 12, "..", disk.FtDir, ft)
	disk.PutDirent(b, 24, lostFoundIno, m.bs-24, "lost+found", disk.FtDir, ft)
	m.blocks[data[0]] = b
	m.inodes[disk.RootIno] = root

	lf := m.newInode(disk.ModeDir|0o700, 2)
	n := max(lostFoundBytes/m.bs, 2)
	data, _, err = m.mapBlocks(lf, n)
	if err != nil {
		return err
	}
	lf.Size = uint64(n * m.bs)
	for i, d := range data {
		b := make([]byte, m.bs)
		if i == 0 {
			disk.PutDirent(b, 0, lostFoundIno, 12, ".", disk.FtDir, ft)
			disk.PutDirent(b, 12, disk.RootIno, m.bs-12, "..", disk.FtDir, ft)
		} else {
			disk.PutDirent(b, 0, 0, m.bs, "", 0, ft)
		}
		m.blocks[d] = b
	}
	m.inodes[lostFoundIno] = lf
	return nil
}

// defaultJournal is the journal size in blocks for a file system of the given size: about
// 1/64 of it, between JBD2's minimum of 1024 blocks and 32768 (128 MiB of 4 KiB blocks).
func defaultJournal(size int64, bs int) int {
	n := int(size / int64(bs) / 64)
	return min(max(n, 1024), 32768)
}

func (m *fsBuilder) makeJournal(size int64) error {
	n := m.o.JournalBlocks
	if n == 0 {
		n = defaultJournal(size, m.bs)
	}
	if n < 1024 {
		return fmt.Errorf("mkfs: a journal of %d blocks is below JBD2's minimum of 1024", n)
	}
	if uint64(n) > uint64(m.sb.BlocksCount)/2 {
		return fmt.Errorf("mkfs: %d bytes is too small for a journal of %d blocks of %d bytes", size, n, m.bs)
	}
	j := m.newInode(disk.ModeReg|0o600, 1)
	data, _, err := m.mapBlocks(j, n)
	if err != nil {
		return err
	}
	j.Size = uint64(n) * uint64(m.bs)
	js := jbd2.NewSuper(m.bs, uint32(n), m.o.UUID)
	jb := make([]byte, m.bs)
	copy(jb, js.Encode())
	m.blocks[data[0]] = jb
	// The log blocks are zeroed (no stale block can pass for a transaction), in runs.
	for i := 1; i < len(data); {
		k := i
		for k+1 < len(data) && data[k+1] == data[k]+1 {
			k++
		}
		m.zero = append(m.zero, data[i])
		m.zeroN = append(m.zeroN, uint32(k-i+1))
		i = k + 1
	}
	m.inodes[disk.JournalIno] = j
	copy(m.sb.JnlBlocks[:disk.NBlocks], j.Block[:])
	m.sb.JnlBlocks[15] = uint32(j.Size >> 32)
	m.sb.JnlBlocks[16] = uint32(j.Size)
	m.sb.JnlBackupType = 1 // EXT3_JNL_BACKUP_BLOCKS
	return nil
}

// write writes the file system: zeroed areas, then the contents, then the group descriptors
// and superblocks last, so that an interrupted format leaves no valid superblock.
func (m *fsBuilder) write(dev io.WriterAt) error {
	bs := int64(m.bs)
	if !m.o.Zeroed {
		// The first 1024 bytes (boot sector) are left alone; so is everything else mkfs does not use.
		zero := make([]byte, 64*m.bs)
		for i, b := range m.zero {
			for n := int64(m.zeroN[i]); n > 0; {
				k := min(n, 64)
				if _, err := dev.WriteAt(zero[:k*bs], int64(b)*bs); err != nil {
					return err
				}
				b += uint32(k)
				n -= k
			}
		}
		// The old superblock goes first: a format that stops half way is not a file system.
		if _, err := dev.WriteAt(make([]byte, disk.SuperSize), disk.SuperOffset); err != nil {
			return err
		}
	}
	for b, data := range m.blocks {
		if _, err := dev.WriteAt(data, int64(b)*bs); err != nil {
			return err
		}
	}
	// Inodes.
	tables := map[uint32][]byte{}
	for ino, in := range m.inodes {
		g := (ino - 1) / m.sb.InodesPerGroup
		idx := (ino - 1) % m.sb.InodesPerGroup
		blk := m.groups[g].InodeTable + idx*inodeSize/uint32(m.bs)
		b, ok := tables[blk]
		if !ok {
			b = make([]byte, m.bs)
			tables[blk] = b
		}
		off := int(idx*inodeSize) % m.bs
		in.Encode(b[off : off+inodeSize])
	}
	for blk, b := range tables {
		if _, err := dev.WriteAt(b, int64(blk)*bs); err != nil {
			return err
		}
	}
	for g := range m.groups {
		if _, err := dev.WriteAt(m.bmaps[g], int64(m.groups[g].BlockBitmap)*bs); err != nil {
			return err
		}
		if _, err := dev.WriteAt(m.imaps[g], int64(m.groups[g].InodeBitmap)*bs); err != nil {
			return err
		}
	}
	gdt := make([]byte, int(m.sb.GDTBlocks())*m.bs)
	for g, gd := range m.groups {
		gd.Encode(gdt[g*disk.GroupDescSize:])
	}
	for g := uint32(len(m.groups)); g > 0; g-- {
		grp := g - 1
		if !m.sb.HasSuper(grp) {
			continue
		}
		start := int64(m.sb.GroupStart(grp))
		if _, err := dev.WriteAt(gdt, (start+1)*bs); err != nil {
			return err
		}
		sb := *m.sb
		sb.BlockGroupNr = uint16(grp)
		off := start * bs
		if grp == 0 {
			off = disk.SuperOffset
		}
		if _, err := dev.WriteAt(sb.Encode(), off); err != nil {
			return err
		}
	}
	return nil
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
