package disk

import "fmt"

// GroupDescSize is the size of a block group descriptor without the 64bit feature.
const GroupDescSize = 32

// Group is a decoded block group descriptor (struct ext2_group_desc).
type Group struct {
	BlockBitmap uint32
	InodeBitmap uint32
	InodeTable  uint32
	FreeBlocks  uint16
	FreeInodes  uint16
	UsedDirs    uint16
	Flags       uint16
}

// DecodeGroup decodes the descriptor at the start of b.
func DecodeGroup(b []byte) Group {
	return Group{
		BlockBitmap: le.Uint32(b[0:]), InodeBitmap: le.Uint32(b[4:]), InodeTable: le.Uint32(b[8:]),
		FreeBlocks: le.Uint16(b[12:]), FreeInodes: le.Uint16(b[14:]), UsedDirs: le.Uint16(b[16:]),
		Flags: le.Uint16(b[18:]),
	}
}

// Encode writes g's fields over the descriptor at the start of b.
func (g Group) Encode(b []byte) {
	le.PutUint32(b[0:], g.BlockBitmap)
	le.PutUint32(b[4:], g.InodeBitmap)
	le.PutUint32(b[8:], g.InodeTable)
	le.PutUint16(b[12:], g.FreeBlocks)
	le.PutUint16(b[14:], g.FreeInodes)
	le.PutUint16(b[16:], g.UsedDirs)
	le.PutUint16(b[18:], g.Flags)
}

// CheckGroup validates the descriptor of group i against the superblock: its bitmaps and
// inode table lie inside the file system, past the superblock and the descriptor table, and its
// counts are possible.
func (s *Super) CheckGroup(i uint32, g Group) error {
	first := s.FirstDataBlock + 1 + s.GDTBlocks()
	in := func(b uint32, n uint32) bool {
		return b >= first && uint64(b)+uint64(n) <= uint64(s.BlocksCount)
	}
	switch {
	case !in(g.BlockBitmap, 1):
		return fmt.Errorf("corrupt group descriptor %d: block bitmap at block %d", i, g.BlockBitmap)
	case !in(g.InodeBitmap, 1):
		return fmt.Errorf("corrupt group descriptor %d: inode bitmap at block %d", i, g.InodeBitmap)
	case !in(g.InodeTable, s.InodeTableBlocks()):
		return fmt.Errorf("corrupt group descriptor %d: inode table at block %d (%d blocks)", i, g.InodeTable, s.InodeTableBlocks())
	case uint32(g.FreeBlocks) > s.GroupBlocks(i) || uint32(g.FreeInodes) > s.InodesPerGroup:
		return fmt.Errorf("corrupt group descriptor %d: %d free blocks, %d free inodes", i, g.FreeBlocks, g.FreeInodes)
	}
	return nil
}
