package extfs

// This file implements block and inode allocation from the groups' bitmaps, keeping the group
// descriptors' and the superblock's counts.

import "github.com/unikgen/unikgen/services/fs/extfs/disk"

// groupOf returns the group of block blk and its index in the group's bitmap.
func (f *FS) groupOf(blk uint32) (uint32, uint32) {
	return (blk - f.sb.FirstDataBlock) / f.sb.BlocksPerGroup, (blk - f.sb.FirstDataBlock) % f.sb.BlocksPerGroup
}

// isMeta reports whether blk holds metadata of its group: a superblock or descriptor table
// copy (or the blocks reserved for its growth), a bitmap, the inode table.
func (f *FS) isMeta(blk uint32) bool {
	g, i := f.groupOf(blk)
	if f.sb.HasSuper(g) && i < 1+f.sb.GDTBlocks()+uint32(f.sb.ReservedGDT) {
		return true
	}
	in := func(gd disk.Group) bool {
		return blk == gd.BlockBitmap || blk == gd.InodeBitmap ||
			blk >= gd.InodeTable && blk < gd.InodeTable+f.sb.InodeTableBlocks()
	}
	if f.sb.FeatureIncompat&disk.IncompatFlexBG == 0 {
		return in(f.groups[g])
	}
	for _, gd := range f.groups { // flex_bg puts a group's metadata in another group
		if in(gd) {
			return true
		}
	}
	return false
}

// allocBlock allocates a block, as near goal as it can (0: anywhere): in goal's group from
// goal on, then in the following groups. Blocks freed in the running transaction are skipped.
func (f *FS) allocBlock(goal uint32) (uint32, error) {
	if f.sb.FreeBlocks == 0 {
		return 0, errNoSpc
	}
	if goal < f.sb.FirstDataBlock || goal >= f.sb.BlocksCount {
		goal = f.sb.FirstDataBlock
	}
	ng := uint32(len(f.groups))
	g0, start := f.groupOf(goal)
	for k := uint32(0); k <= ng; k++ {
		g := (g0 + k) % ng
		if f.groups[g].FreeBlocks == 0 {
			start = 0
			continue
		}
		bm, err := f.bread(f.groups[g].BlockBitmap)
		if err != nil {
			return 0, err
		}
		n := f.sb.GroupBlocks(g)
		for i := start; i < n; {
			c := disk.FindClear(bm.data, i, n)
			if c < 0 {
				break
			}
			blk := f.sb.GroupStart(g) + uint32(c)
			i = uint32(c) + 1
			if f.freed[blk] {
				continue
			}
			if f.isMeta(blk) {
				return 0, f.corrupt("group %d's block bitmap says metadata block %d is free", g, blk)
			}
			disk.SetBit(bm.data, uint32(c))
			f.dirty(bm)
			f.groups[g].FreeBlocks--
			f.sb.FreeBlocks--
			if err := f.dirtyGroup(g); err != nil {
				return 0, err
			}
			f.dirtySuper()
			return blk, nil
		}
		start = 0
	}
	return 0, errNoSpc
}

// freeBlock frees blk. It is not reused before the running transaction commits.
func (f *FS) freeBlock(blk uint32) error {
	if err := f.checkBlock(blk, "freeing"); err != nil {
		return err
	}
	if f.isMeta(blk) {
		return f.corrupt("freeing metadata block %d", blk)
	}
	f.dropData(blk) // its unwritten data is dead: not written back
	g, i := f.groupOf(blk)
	bm, err := f.bread(f.groups[g].BlockBitmap)
	if err != nil {
		return err
	}
	if !disk.TestBit(bm.data, i) {
		return f.corrupt("freeing block %d, which the bitmap says is free", blk)
	}
	disk.ClearBit(bm.data, i)
	f.dirty(bm)
	f.groups[g].FreeBlocks++
	f.sb.FreeBlocks++
	f.freed[blk] = true
	f.forget(blk)
	if err := f.dirtyGroup(g); err != nil {
		return err
	}
	f.dirtySuper()
	return nil
}

// allocInode allocates an inode: a directory in the group with the most free inodes, anything
// else in its parent's group or the next with room.
func (f *FS) allocInode(parent uint32, dir bool) (uint32, error) {
	if f.sb.FreeInodes == 0 {
		return 0, errNoSpc
	}
	ng := uint32(len(f.groups))
	g0 := (parent - 1) / f.sb.InodesPerGroup
	if dir {
		best := uint32(0)
		for g := uint32(0); g < ng; g++ {
			if f.groups[g].FreeInodes > f.groups[best].FreeInodes {
				best = g
			}
		}
		g0 = best
	}
	for k := uint32(0); k < ng; k++ {
		g := (g0 + k) % ng
		if f.groups[g].FreeInodes == 0 {
			continue
		}
		im, err := f.bread(f.groups[g].InodeBitmap)
		if err != nil {
			return 0, err
		}
		start := uint32(0)
		if g == 0 {
			start = f.sb.FirstIno - 1
		}
		c := disk.FindClear(im.data, start, f.sb.InodesPerGroup)
		if c < 0 {
			continue
		}
		disk.SetBit(im.data, uint32(c))
		f.dirty(im)
		f.groups[g].FreeInodes--
		if dir {
			f.groups[g].UsedDirs++
		}
		f.sb.FreeInodes--
		if err := f.dirtyGroup(g); err != nil {
			return 0, err
		}
		f.dirtySuper()
		return g*f.sb.InodesPerGroup + uint32(c) + 1, nil
	}
	return 0, errNoSpc
}

// freeInode marks inode ino free.
func (f *FS) freeInode(ino uint32, dir bool) error {
	g, i := (ino-1)/f.sb.InodesPerGroup, (ino-1)%f.sb.InodesPerGroup
	im, err := f.bread(f.groups[g].InodeBitmap)
	if err != nil {
		return err
	}
	if !disk.TestBit(im.data, i) {
		return f.corrupt("freeing inode %d, which the bitmap says is free", ino)
	}
	disk.ClearBit(im.data, i)
	f.dirty(im)
	f.groups[g].FreeInodes++
	if dir && f.groups[g].UsedDirs > 0 {
		f.groups[g].UsedDirs--
	}
	f.sb.FreeInodes++
	if err := f.dirtyGroup(g); err != nil {
		return err
	}
	f.dirtySuper()
	return nil
}
