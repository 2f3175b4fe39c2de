package extfs

// This file implements the block map of ext2/ext3 inodes: i_block's 12 direct pointers, then a
// single, a double and a triple indirect block, each indirect block an array of little-endian
// 32-bit block numbers (0: a hole).

import (
	"encoding/binary"

	"github.com/unikgen/unikgen/services/fs/extfs/disk"
)

var le = binary.LittleEndian

// maxBlocks is the number of logical blocks the block map can address.
func (f *FS) maxBlocks() uint64 {
	p := uint64(f.ptrs)
	return disk.NDirect + p + p*p + p*p*p
}

// blockPath returns the slot of i_block and the indexes in each indirect level that lead to
// logical block lblk.
func (f *FS) blockPath(lblk uint64) (depth int, idx [4]uint32, ok bool) {
	p := uint64(f.ptrs)
	switch {
	case lblk < disk.NDirect:
		return 0, [4]uint32{uint32(lblk)}, true
	case lblk-disk.NDirect < p:
		return 1, [4]uint32{disk.IndBlock, uint32(lblk - disk.NDirect)}, true
	case lblk-disk.NDirect-p < p*p:
		l := lblk - disk.NDirect - p
		return 2, [4]uint32{disk.DIndBlock, uint32(l / p), uint32(l % p)}, true
	case lblk-disk.NDirect-p-p*p < p*p*p:
		l := lblk - disk.NDirect - p - p*p
		return 3, [4]uint32{disk.TIndBlock, uint32(l / (p * p)), uint32(l / p % p), uint32(l % p)}, true
	}
	return 0, idx, false
}

// bmap returns the physical block of logical block lblk of in, 0 for a hole. With alloc it
// allocates what is missing (indirect blocks and the data block, near goal) and reports
// whether the data block is new.
func (f *FS) bmap(in *inode, lblk uint64, alloc bool, goal uint32) (uint32, bool, error) {
	depth, idx, ok := f.blockPath(lblk)
	if !ok {
		return 0, false, errFBig
	}
	if in.d.Flags&(disk.FlagExtents|disk.FlagInlineData) != 0 {
		return 0, false, f.corrupt("inode %d uses extents or inline data, which an ext3 file system has not", in.ino)
	}
	if goal == 0 {
		goal = f.sb.GroupStart((in.ino - 1) / f.sb.InodesPerGroup)
	}
	ptr := in.d.Block[idx[0]]
	var parent *buf // the indirect block holding ptr (nil: the inode)
	slot := idx[0]
	for level := 0; ; level++ {
		fresh := false
		if ptr == 0 {
			if !alloc {
				return 0, false, nil
			}
			b, err := f.allocBlock(goal)
			if err != nil {
				return 0, false, err
			}
			ptr, fresh = b, true
			goal = b + 1
			in.d.Blocks += uint64(f.bs / 512)
			if parent == nil {
				in.d.Block[slot] = ptr
			} else {
				le.PutUint32(parent.data[4*slot:], ptr)
				f.dirty(parent)
			}
			if err := f.iput(in); err != nil {
				return 0, false, err
			}
			if level < depth {
				f.dirty(f.bnew(ptr))
			}
		} else if err := f.checkBlock(ptr, "inode block map"); err != nil {
			return 0, false, err
		}
		if level == depth {
			if !fresh && alloc && f.isMeta(ptr) {
				return 0, false, f.corrupt("inode %d maps logical block %d to metadata block %d", in.ino, lblk, ptr)
			}
			return ptr, fresh, nil
		}
		b, err := f.bread(ptr)
		if err != nil {
			return 0, false, err
		}
		parent, slot = b, idx[level+1]
		ptr = le.Uint32(b.data[4*slot:])
	}
}

// truncateBlocks frees the blocks of in from logical block keep on (indirect blocks that map
// nothing any more go too).
func (f *FS) truncateBlocks(in *inode, keep uint64) error {
	if in.d.Flags&(disk.FlagExtents|disk.FlagInlineData) != 0 || in.d.FastSymlink(f.bs) ||
		in.d.Mode&disk.ModeFmt == disk.ModeChr || in.d.Mode&disk.ModeFmt == disk.ModeBlk {
		return nil // no block map
	}
	for i := keep; i < disk.NDirect; i++ {
		if b := in.d.Block[i]; b != 0 {
			if err := f.freeData(in, b); err != nil {
				return err
			}
			in.d.Block[i] = 0
		}
	}
	p := uint64(f.ptrs)
	base, span := uint64(disk.NDirect), p
	for level := 1; level <= 3; level++ {
		slot := disk.NDirect + level - 1
		if ptr := in.d.Block[slot]; ptr != 0 && keep < base+span {
			from := uint64(0)
			if keep > base {
				from = keep - base
			}
			kept, err := f.truncTree(in, ptr, level, from)
			if err != nil {
				return err
			}
			if !kept {
				in.d.Block[slot] = 0
			}
		}
		base += span
		span *= p
	}
	return f.iput(in)
}

// truncTree frees the part of the subtree at ptr (depth levels of indirect blocks above the
// data) from its logical block from on. It reports whether ptr itself is kept.
func (f *FS) truncTree(in *inode, ptr uint32, depth int, from uint64) (bool, error) {
	if err := f.checkBlock(ptr, "truncating inode block map"); err != nil {
		return false, err
	}
	if depth == 0 {
		if from > 0 {
			return true, nil
		}
		return false, f.freeData(in, ptr)
	}
	b, err := f.bread(ptr)
	if err != nil {
		return false, err
	}
	span := uint64(1)
	for i := 1; i < depth; i++ {
		span *= uint64(f.ptrs)
	}
	for j := uint64(0); j < uint64(f.ptrs); j++ {
		c := le.Uint32(b.data[4*j:])
		if c == 0 {
			continue
		}
		start := j * span
		if from >= start+span {
			continue
		}
		childFrom := uint64(0)
		if from > start {
			childFrom = from - start
		}
		kept, err := f.truncTree(in, c, depth-1, childFrom)
		if err != nil {
			return false, err
		}
		if !kept {
			le.PutUint32(b.data[4*j:], 0)
			f.dirty(b)
		}
	}
	if from > 0 {
		return true, nil
	}
	return false, f.freeData(in, ptr)
}

// freeData frees one block of in's map and takes it out of i_blocks.
func (f *FS) freeData(in *inode, blk uint32) error {
	if err := f.freeBlock(blk); err != nil {
		return err
	}
	if d := uint64(f.bs / 512); in.d.Blocks >= d {
		in.d.Blocks -= d
	} else {
		in.d.Blocks = 0
	}
	return nil
}
