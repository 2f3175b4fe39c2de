// Package disk is the on-disk format of the ext2 and ext3 file systems: the superblock, the
// block group descriptors, inodes and directory entries, their decoding, encoding and checks.
// It does no I/O.
//
// References: "The Second Extended File System, internal layout" (Dave Poirier,
// https://www.nongnu.org/ext2-doc/ext2.html), Linux Documentation/filesystems/ext4/ (the
// "Data Structures and Algorithms" chapters, which describe ext2 and ext3 as subsets), and
// e2fsprogs lib/ext2fs/ext2_fs.h (field offsets and feature bits). All fields are little-endian.
//
// Encoding writes the known fields into the bytes they were decoded from, so fields this package
// does not know survive a decode-change-encode round trip.
package disk

import (
	"encoding/binary"
	"fmt"
	"strings"
)

var le = binary.LittleEndian

// The superblock is 1024 bytes at byte 1024 of the device, whatever the block size.
const (
	SuperOffset = 1024
	SuperSize   = 1024
	Magic       = 0xEF53
)

// Superblock states (s_state) and error behaviours (s_errors).
const (
	StateValid     = 1 // cleanly unmounted, or a journaled file system
	StateErrors    = 2
	ErrorsContinue = 1
)

// Feature bits (ext2_fs.h EXT2_FEATURE_*, EXT3_FEATURE_*, EXT4_FEATURE_*).
const (
	CompatDirPrealloc  = 0x0001
	CompatImagicInodes = 0x0002
	CompatHasJournal   = 0x0004
	CompatExtAttr      = 0x0008
	CompatResizeInode  = 0x0010
	CompatDirIndex     = 0x0020
	CompatSparseSuper2 = 0x0200
	CompatFastCommit   = 0x0400
	CompatStableInodes = 0x0800
	CompatOrphanFile   = 0x1000

	IncompatCompression = 0x0001
	IncompatFiletype    = 0x0002
	IncompatRecover     = 0x0004 // needs_recovery: the journal may hold committed transactions
	IncompatJournalDev  = 0x0008
	IncompatMetaBG      = 0x0010
	IncompatExtents     = 0x0040
	Incompat64Bit       = 0x0080
	IncompatMMP         = 0x0100
	IncompatFlexBG      = 0x0200
	IncompatEAInode     = 0x0400
	IncompatDirData     = 0x1000
	IncompatCsumSeed    = 0x2000
	IncompatLargeDir    = 0x4000
	IncompatInlineData  = 0x8000
	IncompatEncrypt     = 0x10000
	IncompatCasefold    = 0x20000

	RoCompatSparseSuper   = 0x0001
	RoCompatLargeFile     = 0x0002
	RoCompatBtreeDir      = 0x0004
	RoCompatHugeFile      = 0x0008
	RoCompatGdtCsum       = 0x0010
	RoCompatDirNlink      = 0x0020
	RoCompatExtraIsize    = 0x0040
	RoCompatQuota         = 0x0100
	RoCompatBigalloc      = 0x0200
	RoCompatMetadataCsum  = 0x0400
	RoCompatReadonly      = 0x1000
	RoCompatProject       = 0x2000
	RoCompatVerity        = 0x8000
	RoCompatOrphanPresent = 0x10000
)

// Feature sets of this implementation.
const (
	// IncompatSupported can be mounted: a file system with another incompatible feature cannot
	// be read correctly at all.
	IncompatSupported = IncompatFiletype | IncompatRecover | IncompatFlexBG
	// RoCompatWritable can be written: with another read-only-compatible feature the file
	// system is mounted read-only.
	RoCompatWritable = RoCompatSparseSuper | RoCompatLargeFile | RoCompatHugeFile |
		RoCompatDirNlink | RoCompatExtraIsize
)

var featureNames = []struct {
	kind int // 0 compat, 1 incompat, 2 ro_compat
	bit  uint32
	name string
}{
	{0, CompatDirPrealloc, "dir_prealloc"}, {0, CompatImagicInodes, "imagic_inodes"},
	{0, CompatHasJournal, "has_journal"}, {0, CompatExtAttr, "ext_attr"},
	{0, CompatResizeInode, "resize_inode"}, {0, CompatDirIndex, "dir_index"},
	{0, CompatSparseSuper2, "sparse_super2"}, {0, CompatFastCommit, "fast_commit"},
	{0, CompatStableInodes, "stable_inodes"}, {0, CompatOrphanFile, "orphan_file"},
	{1, IncompatCompression, "compression"}, {1, IncompatFiletype, "filetype"},
	{1, IncompatRecover, "needs_recovery"}, {1, IncompatJournalDev, "journal_dev"},
	{1, IncompatMetaBG, "meta_bg"}, {1, IncompatExtents, "extent"}, {1, Incompat64Bit, "64bit"},
	{1, IncompatMMP, "mmp"}, {1, IncompatFlexBG, "flex_bg"}, {1, IncompatEAInode, "ea_inode"},
	{1, IncompatDirData, "dirdata"}, {1, IncompatCsumSeed, "metadata_csum_seed"},
	{1, IncompatLargeDir, "large_dir"}, {1, IncompatInlineData, "inline_data"},
	{1, IncompatEncrypt, "encrypt"}, {1, IncompatCasefold, "casefold"},
	{2, RoCompatSparseSuper, "sparse_super"}, {2, RoCompatLargeFile, "large_file"},
	{2, RoCompatBtreeDir, "btree_dir"}, {2, RoCompatHugeFile, "huge_file"},
	{2, RoCompatGdtCsum, "uninit_bg"}, {2, RoCompatDirNlink, "dir_nlink"},
	{2, RoCompatExtraIsize, "extra_isize"}, {2, RoCompatQuota, "quota"},
	{2, RoCompatBigalloc, "bigalloc"}, {2, RoCompatMetadataCsum, "metadata_csum"},
	{2, RoCompatReadonly, "read-only"}, {2, RoCompatProject, "project"},
	{2, RoCompatVerity, "verity"}, {2, RoCompatOrphanPresent, "orphan_present"},
}

// FeatureNames returns e2fsprogs' names of the bits of a feature word (kind 0 compat, 1
// incompat, 2 ro_compat), unknown bits as FEATURE_I17 and the like.
func FeatureNames(kind int, bits uint32) string {
	var out []string
	for i := uint(0); i < 32; i++ {
		b := uint32(1) << i
		if bits&b == 0 {
			continue
		}
		name := ""
		for _, f := range featureNames {
			if f.kind == kind && f.bit == b {
				name = f.name
			}
		}
		if name == "" {
			name = fmt.Sprintf("FEATURE_%c%d", "CIR"[kind], i)
		}
		out = append(out, name)
	}
	return strings.Join(out, " ")
}

// Super is a decoded superblock.
type Super struct {
	InodesCount     uint32
	BlocksCount     uint32
	RBlocksCount    uint32
	FreeBlocks      uint32
	FreeInodes      uint32
	FirstDataBlock  uint32
	LogBlockSize    uint32
	LogClusterSize  uint32
	BlocksPerGroup  uint32
	ClustersPerGrp  uint32
	InodesPerGroup  uint32
	Mtime, Wtime    uint32
	MntCount        uint16
	MaxMntCount     uint16
	Magic           uint16
	State           uint16
	Errors          uint16
	MinorRev        uint16
	LastCheck       uint32
	CheckInterval   uint32
	CreatorOS       uint32
	RevLevel        uint32
	FirstIno        uint32
	InodeSize       uint16
	BlockGroupNr    uint16 // the group holding this copy (backups)
	FeatureCompat   uint32
	FeatureIncompat uint32
	FeatureRoCompat uint32
	UUID            [16]byte
	VolumeName      [16]byte
	ReservedGDT     uint16
	JournalUUID     [16]byte
	JournalInum     uint32
	JournalDev      uint32
	LastOrphan      uint32
	HashSeed        [4]uint32
	DefHashVersion  uint8
	JnlBackupType   uint8
	DescSize        uint16
	MkfsTime        uint32
	JnlBlocks       [17]uint32
	BlocksCountHi   uint32
	MinExtraIsize   uint16
	WantExtraIsize  uint16
	Flags           uint32
	LogGroupsPerFlx uint8

	raw [SuperSize]byte
}

// Superblock field offsets.
const (
	sInodesCount     = 0x00
	sBlocksCount     = 0x04
	sRBlocksCount    = 0x08
	sFreeBlocks      = 0x0C
	sFreeInodes      = 0x10
	sFirstDataBlock  = 0x14
	sLogBlockSize    = 0x18
	sLogClusterSize  = 0x1C
	sBlocksPerGroup  = 0x20
	sClustersPerGrp  = 0x24
	sInodesPerGroup  = 0x28
	sMtime           = 0x2C
	sWtime           = 0x30
	sMntCount        = 0x34
	sMaxMntCount     = 0x36
	sMagic           = 0x38
	sState           = 0x3A
	sErrors          = 0x3C
	sMinorRev        = 0x3E
	sLastCheck       = 0x40
	sCheckInterval   = 0x44
	sCreatorOS       = 0x48
	sRevLevel        = 0x4C
	sFirstIno        = 0x54
	sInodeSize       = 0x58
	sBlockGroupNr    = 0x5A
	sFeatureCompat   = 0x5C
	sFeatureIncompat = 0x60
	sFeatureRoCompat = 0x64
	sUUID            = 0x68
	sVolumeName      = 0x78
	sReservedGDT     = 0xCE
	sJournalUUID     = 0xD0
	sJournalInum     = 0xE0
	sJournalDev      = 0xE4
	sLastOrphan      = 0xE8
	sHashSeed        = 0xEC
	sDefHashVersion  = 0xFC
	sJnlBackupType   = 0xFD
	sDescSize        = 0xFE
	sMkfsTime        = 0x108
	sJnlBlocks       = 0x10C
	sBlocksCountHi   = 0x150
	sMinExtraIsize   = 0x15C
	sWantExtraIsize  = 0x15E
	sFlags           = 0x160
	sLogGroupsPerFlx = 0x174
)

// DecodeSuper decodes a superblock from its 1024 bytes. It checks nothing: see Check.
func DecodeSuper(b []byte) *Super {
	s := &Super{}
	copy(s.raw[:], b)
	r := s.raw[:]
	u32 := func(o int) uint32 { return le.Uint32(r[o:]) }
	u16 := func(o int) uint16 { return le.Uint16(r[o:]) }
	s.InodesCount, s.BlocksCount, s.RBlocksCount = u32(sInodesCount), u32(sBlocksCount), u32(sRBlocksCount)
	s.FreeBlocks, s.FreeInodes, s.FirstDataBlock = u32(sFreeBlocks), u32(sFreeInodes), u32(sFirstDataBlock)
	s.LogBlockSize, s.LogClusterSize = u32(sLogBlockSize), u32(sLogClusterSize)
	s.BlocksPerGroup, s.ClustersPerGrp, s.InodesPerGroup = u32(sBlocksPerGroup), u32(sClustersPerGrp), u32(sInodesPerGroup)
	s.Mtime, s.Wtime = u32(sMtime), u32(sWtime)
	s.MntCount, s.MaxMntCount, s.Magic = u16(sMntCount), u16(sMaxMntCount), u16(sMagic)
	s.State, s.Errors, s.MinorRev = u16(sState), u16(sErrors), u16(sMinorRev)
	s.LastCheck, s.CheckInterval, s.CreatorOS, s.RevLevel = u32(sLastCheck), u32(sCheckInterval), u32(sCreatorOS), u32(sRevLevel)
	s.FirstIno, s.InodeSize = 11, 128
	if s.RevLevel >= 1 {
		s.FirstIno, s.InodeSize, s.BlockGroupNr = u32(sFirstIno), u16(sInodeSize), u16(sBlockGroupNr)
		s.FeatureCompat, s.FeatureIncompat, s.FeatureRoCompat = u32(sFeatureCompat), u32(sFeatureIncompat), u32(sFeatureRoCompat)
	}
	copy(s.UUID[:], r[sUUID:])
	copy(s.VolumeName[:], r[sVolumeName:])
	s.ReservedGDT = u16(sReservedGDT)
	copy(s.JournalUUID[:], r[sJournalUUID:])
	s.JournalInum, s.JournalDev, s.LastOrphan = u32(sJournalInum), u32(sJournalDev), u32(sLastOrphan)
	for i := range s.HashSeed {
		s.HashSeed[i] = u32(sHashSeed + 4*i)
	}
	s.DefHashVersion, s.JnlBackupType, s.DescSize = r[sDefHashVersion], r[sJnlBackupType], u16(sDescSize)
	s.MkfsTime = u32(sMkfsTime)
	for i := range s.JnlBlocks {
		s.JnlBlocks[i] = u32(sJnlBlocks + 4*i)
	}
	s.BlocksCountHi = u32(sBlocksCountHi)
	s.MinExtraIsize, s.WantExtraIsize = u16(sMinExtraIsize), u16(sWantExtraIsize)
	s.Flags, s.LogGroupsPerFlx = u32(sFlags), r[sLogGroupsPerFlx]
	return s
}

// Encode returns the superblock's 1024 bytes: the bytes it was decoded from with the known
// fields written over them.
func (s *Super) Encode() []byte {
	r := make([]byte, SuperSize)
	copy(r, s.raw[:])
	p32 := func(o int, v uint32) { le.PutUint32(r[o:], v) }
	p16 := func(o int, v uint16) { le.PutUint16(r[o:], v) }
	p32(sInodesCount, s.InodesCount)
	p32(sBlocksCount, s.BlocksCount)
	p32(sRBlocksCount, s.RBlocksCount)
	p32(sFreeBlocks, s.FreeBlocks)
	p32(sFreeInodes, s.FreeInodes)
	p32(sFirstDataBlock, s.FirstDataBlock)
	p32(sLogBlockSize, s.LogBlockSize)
	p32(sLogClusterSize, s.LogClusterSize)
	p32(sBlocksPerGroup, s.BlocksPerGroup)
	p32(sClustersPerGrp, s.ClustersPerGrp)
	p32(sInodesPerGroup, s.InodesPerGroup)
	p32(sMtime, s.Mtime)
	p32(sWtime, s.Wtime)
	p16(sMntCount, s.MntCount)
	p16(sMaxMntCount, s.MaxMntCount)
	p16(sMagic, s.Magic)
	p16(sState, s.State)
	p16(sErrors, s.Errors)
	p16(sMinorRev, s.MinorRev)
	p32(sLastCheck, s.LastCheck)
	p32(sCheckInterval, s.CheckInterval)
	p32(sCreatorOS, s.CreatorOS)
	p32(sRevLevel, s.RevLevel)
	if s.RevLevel >= 1 {
		p32(sFirstIno, s.FirstIno)
		p16(sInodeSize, s.InodeSize)
		p16(sBlockGroupNr, s.BlockGroupNr)
		p32(sFeatureCompat, s.FeatureCompat)
		p32(sFeatureIncompat, s.FeatureIncompat)
		p32(sFeatureRoCompat, s.FeatureRoCompat)
	}
	copy(r[sUUID:], s.UUID[:])
	copy(r[sVolumeName:], s.VolumeName[:])
	p16(sReservedGDT, s.ReservedGDT)
	copy(r[sJournalUUID:], s.JournalUUID[:])
	p32(sJournalInum, s.JournalInum)
	p32(sJournalDev, s.JournalDev)
	p32(sLastOrphan, s.LastOrphan)
	for i, v := range s.HashSeed {
		p32(sHashSeed+4*i, v)
	}
	r[sDefHashVersion], r[sJnlBackupType] = s.DefHashVersion, s.JnlBackupType
	p16(sDescSize, s.DescSize)
	p32(sMkfsTime, s.MkfsTime)
	for i, v := range s.JnlBlocks {
		p32(sJnlBlocks+4*i, v)
	}
	p32(sBlocksCountHi, s.BlocksCountHi)
	p16(sMinExtraIsize, s.MinExtraIsize)
	p16(sWantExtraIsize, s.WantExtraIsize)
	p32(sFlags, s.Flags)
	r[sLogGroupsPerFlx] = s.LogGroupsPerFlx
	return r
}

// BlockSize is the file system's block size in bytes.
func (s *Super) BlockSize() int { return 1024 << s.LogBlockSize }

// Groups is the number of block groups.
func (s *Super) Groups() uint32 {
	return (s.BlocksCount - s.FirstDataBlock + s.BlocksPerGroup - 1) / s.BlocksPerGroup
}

// GroupDescSize is the size of a group descriptor.
func (s *Super) GroupDescSize() int {
	if s.FeatureIncompat&Incompat64Bit != 0 && s.DescSize >= 64 {
		return int(s.DescSize)
	}
	return GroupDescSize
}

// GDTBlocks is the number of blocks the group descriptor table takes.
func (s *Super) GDTBlocks() uint32 {
	per := uint32(s.BlockSize() / s.GroupDescSize())
	return (s.Groups() + per - 1) / per
}

// GroupStart is the first block of group g.
func (s *Super) GroupStart(g uint32) uint32 { return s.FirstDataBlock + g*s.BlocksPerGroup }

// GroupBlocks is the number of blocks of group g (the last group may be short).
func (s *Super) GroupBlocks(g uint32) uint32 {
	if g == s.Groups()-1 {
		return s.BlocksCount - s.GroupStart(g)
	}
	return s.BlocksPerGroup
}

// HasSuper reports whether group g holds a copy of the superblock and the descriptor table:
// every group, or with sparse_super group 0, 1 and the powers of 3, 5 and 7.
func (s *Super) HasSuper(g uint32) bool {
	if s.FeatureRoCompat&RoCompatSparseSuper == 0 || g <= 1 {
		return true
	}
	for _, b := range []uint32{3, 5, 7} {
		n := b
		for n < g {
			n *= b
		}
		if n == g {
			return true
		}
	}
	return false
}

// InodeTableBlocks is the number of blocks of each group's inode table.
func (s *Super) InodeTableBlocks() uint32 {
	return (s.InodesPerGroup*uint32(s.InodeSize) + uint32(s.BlockSize()) - 1) / uint32(s.BlockSize())
}

// Check validates the superblock's geometry against a device of devSize bytes. Its errors say
// what is wrong in words a user can act on.
func (s *Super) Check(devSize int64) error {
	if s.Magic != Magic {
		return fmt.Errorf("no ext2/ext3 file system: the superblock's magic number is %#04x, not %#04x", s.Magic, Magic)
	}
	if s.RevLevel > 1 {
		return fmt.Errorf("superblock revision %d is unknown (0 or 1)", s.RevLevel)
	}
	if s.LogBlockSize > 6 {
		return fmt.Errorf("corrupt superblock: block size 1024<<%d", s.LogBlockSize)
	}
	bs := uint32(s.BlockSize())
	if s.FeatureRoCompat&RoCompatBigalloc == 0 && s.LogClusterSize != s.LogBlockSize && s.LogClusterSize != 0 {
		return fmt.Errorf("corrupt superblock: cluster size 1024<<%d differs from the block size %d", s.LogClusterSize, bs)
	}
	want := uint32(0)
	if bs == 1024 {
		want = 1
	}
	if s.FirstDataBlock != want {
		return fmt.Errorf("corrupt superblock: first data block %d, want %d for %d-byte blocks", s.FirstDataBlock, want, bs)
	}
	if s.BlocksPerGroup == 0 || s.BlocksPerGroup > 8*bs || s.BlocksPerGroup%8 != 0 {
		return fmt.Errorf("corrupt superblock: %d blocks per group (at most %d, a multiple of 8)", s.BlocksPerGroup, 8*bs)
	}
	if s.InodesPerGroup == 0 || s.InodesPerGroup > 8*bs || s.InodesPerGroup%8 != 0 {
		return fmt.Errorf("corrupt superblock: %d inodes per group (at most %d, a multiple of 8)", s.InodesPerGroup, 8*bs)
	}
	if s.InodeSize < 128 || uint32(s.InodeSize) > bs || s.InodeSize&(s.InodeSize-1) != 0 {
		return fmt.Errorf("corrupt superblock: inode size %d (a power of 2 from 128 to the block size)", s.InodeSize)
	}
	if s.BlocksCountHi != 0 && s.FeatureIncompat&Incompat64Bit != 0 {
		return fmt.Errorf("the file system has more than 2^32 blocks")
	}
	if s.BlocksCount <= s.FirstDataBlock+1 {
		return fmt.Errorf("corrupt superblock: %d blocks", s.BlocksCount)
	}
	groups := uint64(s.Groups())
	if uint64(s.InodesCount) != groups*uint64(s.InodesPerGroup) {
		return fmt.Errorf("corrupt superblock: %d inodes, but %d groups of %d", s.InodesCount, groups, s.InodesPerGroup)
	}
	if s.FirstIno < 11 || s.FirstIno >= s.InodesCount {
		return fmt.Errorf("corrupt superblock: first inode %d", s.FirstIno)
	}
	if need := int64(s.BlocksCount) * int64(bs); devSize < need {
		return fmt.Errorf("the device is truncated: it has %d bytes, the file system needs %d (%d blocks of %d bytes)", devSize, need, s.BlocksCount, bs)
	}
	if uint64(s.GDTBlocks()) >= uint64(s.BlocksPerGroup) {
		return fmt.Errorf("corrupt superblock: the group descriptor table (%d blocks) does not fit in a group", s.GDTBlocks())
	}
	if s.FreeBlocks > s.BlocksCount || s.FreeInodes > s.InodesCount {
		return fmt.Errorf("corrupt superblock: %d free blocks of %d, %d free inodes of %d", s.FreeBlocks, s.BlocksCount, s.FreeInodes, s.InodesCount)
	}
	return nil
}

// Unsupported returns the names of the incompatible features this implementation cannot mount
// and of the read-only-compatible ones it cannot write ("" for none).
func (s *Super) Unsupported() (incompat, rocompat string) {
	return FeatureNames(1, s.FeatureIncompat&^IncompatSupported), FeatureNames(2, s.FeatureRoCompat&^RoCompatWritable)
}
