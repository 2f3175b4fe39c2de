package disk

// Reserved inode numbers.
const (
	BadBlocksIno = 1
	RootIno      = 2
	ResizeIno    = 7
	JournalIno   = 8
)

// Inode flags (i_flags) that change how an inode is read.
const (
	FlagSecrm      = 0x00000001
	FlagImmutable  = 0x00000010
	FlagAppend     = 0x00000020
	FlagIndex      = 0x00001000 // a directory with a hashed b-tree index (dir_index)
	FlagHugeFile   = 0x00040000 // i_blocks counts file system blocks, not sectors
	FlagExtents    = 0x00080000
	FlagEAInode    = 0x00200000
	FlagInlineData = 0x10000000
)

// File types of i_mode.
const (
	ModeFmt  = 0o170000
	ModeSock = 0o140000
	ModeLnk  = 0o120000
	ModeReg  = 0o100000
	ModeBlk  = 0o060000
	ModeDir  = 0o040000
	ModeChr  = 0o020000
	ModeFifo = 0o010000
)

// Block map: 12 direct pointers, then single, double and triple indirect (i_block[15]).
const (
	NDirect   = 12
	IndBlock  = 12
	DIndBlock = 13
	TIndBlock = 14
	NBlocks   = 15
)

// FastSymlinkMax is the longest symbolic link target kept in the inode itself.
const FastSymlinkMax = 60

// Inode is a decoded inode (struct ext2_inode, and the extra fields of larger inodes). Times
// are nanoseconds since the Unix epoch; without the extra fields they are whole seconds.
type Inode struct {
	Mode       uint16
	UID, GID   uint32
	Size       uint64
	Atime      int64
	Ctime      int64
	Mtime      int64
	Crtime     int64
	Dtime      uint32
	Links      uint16
	Blocks     uint64 // in 512-byte sectors (file system blocks with FlagHugeFile)
	Flags      uint32
	Block      [NBlocks]uint32
	Generation uint32
	FileACL    uint32
	ExtraIsize uint16
}

// Inode field offsets.
const (
	iMode        = 0x00
	iUID         = 0x02
	iSizeLo      = 0x04
	iAtime       = 0x08
	iCtime       = 0x0C
	iMtime       = 0x10
	iDtime       = 0x14
	iGID         = 0x18
	iLinks       = 0x1A
	iBlocksLo    = 0x1C
	iFlags       = 0x20
	iBlock       = 0x28
	iGeneration  = 0x64
	iFileACL     = 0x68
	iSizeHi      = 0x6C
	iBlocksHi    = 0x74
	iFileACLHi   = 0x76
	iUIDHi       = 0x78
	iGIDHi       = 0x7A
	iExtraIsize  = 0x80
	iCtimeExtra  = 0x84
	iMtimeExtra  = 0x88
	iAtimeExtra  = 0x8C
	iCrtime      = 0x90
	iCrtimeExtra = 0x94

	// GoodOldInodeSize is the size of the fields every inode has.
	GoodOldInodeSize = 128
	// ExtraIsize is the size of the extra fields this package writes in larger inodes (up to
	// i_projid), as mke2fs does.
	ExtraIsize = 32
)

// DecodeInode decodes the inode in b (the inode table's slot, inode-size bytes).
func DecodeInode(b []byte) Inode {
	in := Inode{
		Mode:       le.Uint16(b[iMode:]),
		UID:        uint32(le.Uint16(b[iUID:])) | uint32(le.Uint16(b[iUIDHi:]))<<16,
		GID:        uint32(le.Uint16(b[iGID:])) | uint32(le.Uint16(b[iGIDHi:]))<<16,
		Size:       uint64(le.Uint32(b[iSizeLo:])) | uint64(le.Uint32(b[iSizeHi:]))<<32,
		Dtime:      le.Uint32(b[iDtime:]),
		Links:      le.Uint16(b[iLinks:]),
		Blocks:     uint64(le.Uint32(b[iBlocksLo:])) | uint64(le.Uint16(b[iBlocksHi:]))<<32,
		Flags:      le.Uint32(b[iFlags:]),
		Generation: le.Uint32(b[iGeneration:]),
		FileACL:    le.Uint32(b[iFileACL:]),
	}
	for i := range in.Block {
		in.Block[i] = le.Uint32(b[iBlock+4*i:])
	}
	extra := func(off int) uint32 { return 0 }
	if len(b) > GoodOldInodeSize {
		in.ExtraIsize = le.Uint16(b[iExtraIsize:])
		extra = func(off int) uint32 {
			if int(in.ExtraIsize) < off+4-GoodOldInodeSize || len(b) < off+4 {
				return 0
			}
			return le.Uint32(b[off:])
		}
	}
	in.Atime = decodeTime(le.Uint32(b[iAtime:]), extra(iAtimeExtra))
	in.Ctime = decodeTime(le.Uint32(b[iCtime:]), extra(iCtimeExtra))
	in.Mtime = decodeTime(le.Uint32(b[iMtime:]), extra(iMtimeExtra))
	in.Crtime = decodeTime(extra(iCrtime), extra(iCrtimeExtra))
	return in
}

// Encode writes in's fields over the inode in b. Fields of larger inodes are written only when
// b has room for them and in.ExtraIsize covers them.
func (in *Inode) Encode(b []byte) {
	le.PutUint16(b[iMode:], in.Mode)
	le.PutUint16(b[iUID:], uint16(in.UID))
	le.PutUint16(b[iUIDHi:], uint16(in.UID>>16))
	le.PutUint16(b[iGID:], uint16(in.GID))
	le.PutUint16(b[iGIDHi:], uint16(in.GID>>16))
	le.PutUint32(b[iSizeLo:], uint32(in.Size))
	le.PutUint32(b[iSizeHi:], uint32(in.Size>>32))
	le.PutUint32(b[iDtime:], in.Dtime)
	le.PutUint16(b[iLinks:], in.Links)
	le.PutUint32(b[iBlocksLo:], uint32(in.Blocks))
	le.PutUint16(b[iBlocksHi:], uint16(in.Blocks>>32))
	le.PutUint32(b[iFlags:], in.Flags)
	for i, v := range in.Block {
		le.PutUint32(b[iBlock+4*i:], v)
	}
	le.PutUint32(b[iGeneration:], in.Generation)
	le.PutUint32(b[iFileACL:], in.FileACL)
	lo, ex := encodeTime(in.Atime)
	le.PutUint32(b[iAtime:], lo)
	put := func(off int, v uint32) {
		if len(b) > GoodOldInodeSize && int(in.ExtraIsize) >= off+4-GoodOldInodeSize && len(b) >= off+4 {
			le.PutUint32(b[off:], v)
		}
	}
	if len(b) > GoodOldInodeSize {
		le.PutUint16(b[iExtraIsize:], in.ExtraIsize)
	}
	put(iAtimeExtra, ex)
	lo, ex = encodeTime(in.Ctime)
	le.PutUint32(b[iCtime:], lo)
	put(iCtimeExtra, ex)
	lo, ex = encodeTime(in.Mtime)
	le.PutUint32(b[iMtime:], lo)
	put(iMtimeExtra, ex)
	lo, ex = encodeTime(in.Crtime)
	put(iCrtime, lo)
	put(iCrtimeExtra, ex)
}

// decodeTime turns a 32-bit seconds field and its extra field (two epoch bits, then
// nanoseconds shifted left by two) into nanoseconds since the epoch.
func decodeTime(lo, extra uint32) int64 {
	sec := int64(int32(lo)) + int64(extra&3)<<32
	nsec := int64(extra >> 2)
	if nsec >= 1e9 {
		nsec = 0
	}
	return sec*1e9 + nsec
}

func encodeTime(ns int64) (lo, extra uint32) {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	epoch := uint32((sec - int64(int32(sec))) >> 32 & 3)
	return uint32(sec), uint32(nsec)<<2 | epoch
}

// IsDir, IsReg and IsSymlink test the file type.
func (in *Inode) IsDir() bool     { return in.Mode&ModeFmt == ModeDir }
func (in *Inode) IsReg() bool     { return in.Mode&ModeFmt == ModeReg }
func (in *Inode) IsSymlink() bool { return in.Mode&ModeFmt == ModeLnk }

// FastSymlink reports whether a symbolic link keeps its target in Block (no data block), as
// e2fsprogs' ext2fs_is_fast_symlink decides: a short target and no blocks but an extended
// attribute block.
func (in *Inode) FastSymlink(blockSize int) bool {
	if !in.IsSymlink() || in.Flags&(FlagExtents|FlagInlineData) != 0 {
		return false
	}
	data := in.Blocks
	if in.FileACL != 0 {
		data -= uint64(blockSize / 512)
	}
	return data == 0 && in.Size < FastSymlinkMax
}

// Rdev returns the device number of a character or block device inode, from either encoding of
// i_block (old: block[0] = major<<8 | minor; new: block[1]).
func (in *Inode) Rdev() uint64 {
	if in.Block[0] != 0 {
		d := in.Block[0]
		return uint64(d>>8&0xff)<<8 | uint64(d&0xff)
	}
	d := in.Block[1]
	major, minor := uint64(d&0xfff00)>>8, uint64(d&0xff)|uint64(d>>12&0xfff00)
	return major<<8 | minor&0xff | (minor&^0xff)<<12
}
