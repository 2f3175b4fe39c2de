package extfs

// This file implements the write-back of file data: a write keeps whole data blocks in memory,
// and they go to the device, sorted and merged into requests of up to maxRun contiguous blocks,
// before the next commit (which keeps ext3's data=ordered: data reaches the device before the
// metadata that makes it reachable commits), at fsync, or once maxDirtyData blocks are held.

import "sort"

// maxDirtyData bounds the data blocks held for write-back (4 MiB with 4 KiB blocks).
const maxDirtyData = 1024

// readDataBlocks reads the len(p)/bs blocks from pblk: from the device, with the blocks held for
// write-back laid over.
func (f *FS) readDataBlocks(p []byte, pblk uint32) error {
	if _, err := f.dev.ReadAt(p, int64(pblk)*int64(f.bs)); err != nil {
		f.logf("reading blocks %d-%d: %v", pblk, pblk+uint32(len(p)/f.bs)-1, err)
		return errIO
	}
	if len(f.dirtyData) > 0 {
		for i := 0; i < len(p)/f.bs; i++ {
			if d, ok := f.dirtyData[pblk+uint32(i)]; ok {
				copy(p[i*f.bs:], d)
			}
		}
	}
	return nil
}

// holdData holds the len(p)/bs blocks from pblk for write-back.
func (f *FS) holdData(p []byte, pblk uint32) error {
	if f.dirtyData == nil {
		f.dirtyData = map[uint32][]byte{}
	}
	for i := 0; i < len(p)/f.bs; i++ {
		d, ok := f.dirtyData[pblk+uint32(i)]
		if !ok {
			d = make([]byte, f.bs)
			f.dirtyData[pblk+uint32(i)] = d
		}
		copy(d, p[i*f.bs:(i+1)*f.bs])
	}
	if len(f.dirtyData) > maxDirtyData {
		return f.flushData()
	}
	return nil
}

// dropData forgets a block held for write-back (the block was freed).
func (f *FS) dropData(blk uint32) { delete(f.dirtyData, blk) }

// flushData writes the blocks held for write-back to the device (without flushing it).
func (f *FS) flushData() error {
	if len(f.dirtyData) == 0 {
		return nil
	}
	blks := make([]uint32, 0, len(f.dirtyData))
	for b := range f.dirtyData {
		blks = append(blks, b)
	}
	sort.Slice(blks, func(i, j int) bool { return blks[i] < blks[j] })
	buf := make([]byte, 0, maxRun*f.bs)
	for i := 0; i < len(blks); {
		j := i + 1
		for j < len(blks) && j-i < maxRun && blks[j] == blks[j-1]+1 {
			j++
		}
		buf = buf[:0]
		for _, b := range blks[i:j] {
			buf = append(buf, f.dirtyData[b]...)
		}
		if _, err := f.dev.WriteAt(buf, int64(blks[i])*int64(f.bs)); err != nil {
			f.logf("writing blocks %d-%d: %v", blks[i], blks[j-1], err)
			return f.fail(err)
		}
		i = j
	}
	clear(f.dirtyData)
	return nil
}
