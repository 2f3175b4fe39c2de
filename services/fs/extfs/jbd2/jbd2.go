// Package jbd2 is the on-disk format of the journal of ext3 and ext4 (Linux's JBD2), as kept in
// an ext3 file system's journal inode: its superblock, the descriptor, commit and revoke blocks
// of a transaction, the writing of a transaction's log blocks, and recovery (replay).
//
// References: Linux include/linux/jbd2.h (block layouts, feature bits), fs/jbd2/recovery.c (the
// three recovery passes) and Documentation/filesystems/ext4/journal.rst. All journal fields are
// big-endian.
//
// The journal is a ring of blocks 1..maxlen-1 of the journal inode (block 0 is the superblock).
// A transaction is one or more descriptor blocks, each followed by the copies of the file system
// blocks its tags name, then a commit block; every block starts with a header carrying the
// magic number, its type and the transaction's sequence number. Recovery replays, in order, the
// transactions that have their commit block, from the superblock's s_start and s_sequence.
package jbd2

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var be = binary.BigEndian

// Magic starts every journal block.
const Magic = 0xC03B3998

// Block types.
const (
	TypeDescriptor = 1
	TypeCommit     = 2
	TypeSuperV1    = 3
	TypeSuperV2    = 4
	TypeRevoke     = 5
	TypeFastCommit = 6
)

// Feature bits.
const (
	CompatChecksum = 0x1

	IncompatRevoke      = 0x1
	Incompat64Bit       = 0x2
	IncompatAsyncCommit = 0x4
	IncompatCsumV2      = 0x8
	IncompatCsumV3      = 0x10
	IncompatFastCommit  = 0x20

	// IncompatKnown are the features recovery understands (checksums are not verified; the
	// layouts they change are followed).
	IncompatKnown = IncompatRevoke | Incompat64Bit | IncompatAsyncCommit | IncompatCsumV2 | IncompatCsumV3
	// IncompatWritable are the features with which this package writes transactions.
	IncompatWritable = IncompatRevoke | Incompat64Bit
)

// Tag flags.
const (
	FlagEscape   = 1 // the block started with Magic, which was zeroed in the log copy
	FlagSameUUID = 2 // no UUID follows the tag
	FlagDeleted  = 4
	FlagLastTag  = 8
)

const headerSize = 12

// Super is a journal superblock (journal_superblock_t, version 2 or 1).
type Super struct {
	BlockType uint32
	Sequence0 uint32 // the header's sequence (unused)
	BlockSize uint32
	MaxLen    uint32
	First     uint32
	Sequence  uint32 // the first transaction expected in the log
	Start     uint32 // the log's first block; 0 when the journal is empty
	Errno     int32
	Compat    uint32
	Incompat  uint32
	RoCompat  uint32
	UUID      [16]byte
	NrUsers   uint32
	raw       []byte
}

// Superblock field offsets.
const (
	jsBlockSize = 0x0C
	jsMaxLen    = 0x10
	jsFirst     = 0x14
	jsSequence  = 0x18
	jsStart     = 0x1C
	jsErrno     = 0x20
	jsCompat    = 0x24
	jsIncompat  = 0x28
	jsRoCompat  = 0x2C
	jsUUID      = 0x30
	jsNrUsers   = 0x40
	// SuperSize is the part of the journal's first block that the superblock uses.
	SuperSize = 1024
)

// DecodeSuper decodes and checks a journal superblock (the first block of the journal, at least
// SuperSize bytes) for a journal of blocks file system blocks of blockSize bytes.
func DecodeSuper(b []byte, blockSize int, blocks uint32) (*Super, error) {
	if len(b) < SuperSize {
		return nil, errors.New("journal superblock: short block")
	}
	s := &Super{raw: append([]byte(nil), b[:SuperSize]...)}
	if be.Uint32(b) != Magic {
		return nil, fmt.Errorf("journal superblock: magic number %#x, not %#x", be.Uint32(b), uint32(Magic))
	}
	s.BlockType, s.Sequence0 = be.Uint32(b[4:]), be.Uint32(b[8:])
	s.BlockSize, s.MaxLen, s.First = be.Uint32(b[jsBlockSize:]), be.Uint32(b[jsMaxLen:]), be.Uint32(b[jsFirst:])
	s.Sequence, s.Start, s.Errno = be.Uint32(b[jsSequence:]), be.Uint32(b[jsStart:]), int32(be.Uint32(b[jsErrno:]))
	if s.BlockType == TypeSuperV2 {
		s.Compat, s.Incompat, s.RoCompat = be.Uint32(b[jsCompat:]), be.Uint32(b[jsIncompat:]), be.Uint32(b[jsRoCompat:])
		copy(s.UUID[:], b[jsUUID:])
		s.NrUsers = be.Uint32(b[jsNrUsers:])
	}
	switch {
	case s.BlockType != TypeSuperV1 && s.BlockType != TypeSuperV2:
		return nil, fmt.Errorf("journal superblock: block type %d", s.BlockType)
	case int(s.BlockSize) != blockSize:
		return nil, fmt.Errorf("journal superblock: block size %d, the file system's is %d", s.BlockSize, blockSize)
	case s.MaxLen < 2 || s.MaxLen > blocks:
		return nil, fmt.Errorf("journal superblock: %d blocks, the journal inode has %d", s.MaxLen, blocks)
	case s.First == 0 || s.First >= s.MaxLen:
		return nil, fmt.Errorf("journal superblock: first log block %d of %d", s.First, s.MaxLen)
	case s.Start != 0 && (s.Start < s.First || s.Start >= s.MaxLen):
		return nil, fmt.Errorf("journal superblock: log start %d outside %d..%d", s.Start, s.First, s.MaxLen-1)
	}
	return s, nil
}

// Encode returns the superblock's bytes: those it was decoded from with the known fields
// written over them.
func (s *Super) Encode() []byte {
	b := append([]byte(nil), s.raw...)
	if len(b) < SuperSize {
		b = append(b, make([]byte, SuperSize-len(b))...)
	}
	be.PutUint32(b, Magic)
	be.PutUint32(b[4:], s.BlockType)
	be.PutUint32(b[8:], s.Sequence0)
	be.PutUint32(b[jsBlockSize:], s.BlockSize)
	be.PutUint32(b[jsMaxLen:], s.MaxLen)
	be.PutUint32(b[jsFirst:], s.First)
	be.PutUint32(b[jsSequence:], s.Sequence)
	be.PutUint32(b[jsStart:], s.Start)
	be.PutUint32(b[jsErrno:], uint32(s.Errno))
	if s.BlockType == TypeSuperV2 {
		be.PutUint32(b[jsCompat:], s.Compat)
		be.PutUint32(b[jsIncompat:], s.Incompat)
		be.PutUint32(b[jsRoCompat:], s.RoCompat)
		copy(b[jsUUID:], s.UUID[:])
		be.PutUint32(b[jsNrUsers:], s.NrUsers)
	}
	return b
}

// NewSuper returns the superblock of a new, empty internal journal of maxLen blocks (as
// e2fsprogs' ext2fs_create_journal_superblock makes it: version 2, first log block 1,
// sequence 1, one user, the file system's UUID).
func NewSuper(blockSize int, maxLen uint32, uuid [16]byte) *Super {
	return &Super{
		BlockType: TypeSuperV2, BlockSize: uint32(blockSize), MaxLen: maxLen, First: 1,
		Sequence: 1, UUID: uuid, NrUsers: 1, raw: make([]byte, SuperSize),
	}
}

// TagBytes is the size of a descriptor tag with the journal features incompat.
func TagBytes(incompat uint32) int {
	if incompat&IncompatCsumV3 != 0 {
		return 16
	}
	sz := 12
	if incompat&IncompatCsumV2 != 0 {
		sz += 2
	}
	if incompat&Incompat64Bit != 0 {
		return sz
	}
	return sz - 4
}

// tailBytes is the size of the checksum tail of descriptor and revoke blocks.
func tailBytes(incompat uint32) int {
	if incompat&(IncompatCsumV2|IncompatCsumV3) != 0 {
		return 4
	}
	return 0
}

// A Tag names the home block of one logged block.
type Tag struct {
	Block uint64
	Flags uint32
}

// ParseTags decodes the tags of a descriptor block, up to the one flagged last or the end of the
// block.
func ParseTags(b []byte, incompat uint32) []Tag {
	tb := TagBytes(incompat)
	end := len(b) - tailBytes(incompat)
	var out []Tag
	for p := headerSize; p+tb <= end; {
		t := Tag{Block: uint64(be.Uint32(b[p:]))}
		if incompat&IncompatCsumV3 != 0 {
			t.Flags = be.Uint32(b[p+4:])
		} else {
			t.Flags = uint32(be.Uint16(b[p+6:]))
		}
		if incompat&Incompat64Bit != 0 {
			t.Block |= uint64(be.Uint32(b[p+8:])) << 32
		}
		out = append(out, t)
		p += tb
		if t.Flags&FlagSameUUID == 0 {
			p += 16
		}
		if t.Flags&FlagLastTag != 0 {
			break
		}
	}
	return out
}

// header checks the header of a log block: its magic and sequence.
func header(b []byte) (typ, seq uint32, ok bool) {
	if len(b) < headerSize || be.Uint32(b) != Magic {
		return 0, 0, false
	}
	return be.Uint32(b[4:]), be.Uint32(b[8:]), true
}

func putHeader(b []byte, typ, seq uint32) {
	be.PutUint32(b, Magic)
	be.PutUint32(b[4:], typ)
	be.PutUint32(b[8:], seq)
}
