package extfs

// This file implements the metadata block cache: every metadata block (superblock, group
// descriptors, bitmaps, inode tables, directories, indirect and symbolic-link blocks) is read
// and changed here. A changed block is dirty: it belongs to the running transaction and stays
// in memory until the commit writes it; clean blocks are kept up to Options.CacheBlocks, least
// recently used first out.

// buf is one cached block.
type buf struct {
	blk        uint32
	data       []byte
	dirty      bool
	prev, next *buf // clean-block LRU list
}

// lruList is a list of clean blocks, most recently used at the front.
type lruList struct {
	head, tail *buf
	n          int
}

func (l *lruList) remove(b *buf) {
	if b.prev != nil {
		b.prev.next = b.next
	} else if l.head == b {
		l.head = b.next
	} else {
		return // not in the list
	}
	if b.next != nil {
		b.next.prev = b.prev
	} else {
		l.tail = b.prev
	}
	b.prev, b.next = nil, nil
	l.n--
}

func (l *lruList) pushFront(b *buf) {
	b.prev, b.next = nil, l.head
	if l.head != nil {
		l.head.prev = b
	}
	l.head = b
	if l.tail == nil {
		l.tail = b
	}
	l.n++
}

// checkBlock reports corruption when blk cannot be a block of the file system.
func (f *FS) checkBlock(blk uint32, what string) error {
	if blk < f.sb.FirstDataBlock || blk >= f.sb.BlocksCount {
		return f.corrupt("%s: block %d is outside the file system (%d..%d)", what, blk, f.sb.FirstDataBlock, f.sb.BlocksCount-1)
	}
	return nil
}

// bread returns block blk's cached contents, reading it if needed.
func (f *FS) bread(blk uint32) (*buf, error) {
	if b, ok := f.cache[blk]; ok {
		if !b.dirty {
			f.lru.remove(b)
			f.lru.pushFront(b)
		}
		return b, nil
	}
	if blk >= f.sb.BlocksCount || blk == 0 && f.bs == 1024 {
		return nil, f.corrupt("metadata block %d is outside the file system", blk)
	}
	b := &buf{blk: blk, data: make([]byte, f.bs)}
	if _, err := f.dev.ReadAt(b.data, int64(blk)*int64(f.bs)); err != nil {
		f.logf("reading block %d: %v", blk, err)
		return nil, errIO
	}
	f.insert(b)
	return b, nil
}

// bnew returns a zeroed cached block for a newly allocated metadata block (not read).
func (f *FS) bnew(blk uint32) *buf {
	if b, ok := f.cache[blk]; ok {
		clear(b.data)
		return b
	}
	b := &buf{blk: blk, data: make([]byte, f.bs)}
	f.insert(b)
	return b
}

func (f *FS) insert(b *buf) {
	f.cache[b.blk] = b
	f.lru.pushFront(b)
	for f.lru.n > f.opt.CacheBlocks {
		old := f.lru.tail
		f.lru.remove(old)
		delete(f.cache, old.blk)
	}
}

// dirty puts b in the running transaction.
func (f *FS) dirty(b *buf) {
	if b.dirty {
		return
	}
	b.dirty = true
	f.lru.remove(b)
	f.txn[b.blk] = b
}

// clean takes a committed block out of the transaction, back into the LRU list.
func (f *FS) clean(b *buf) {
	b.dirty = false
	delete(f.txn, b.blk)
	f.insert(b)
}

// forget drops a freed block from the cache and the transaction: its contents no longer matter
// and must not be written over the data its next owner puts there.
func (f *FS) forget(blk uint32) {
	b, ok := f.cache[blk]
	if !ok {
		return
	}
	delete(f.cache, blk)
	delete(f.txn, blk)
	f.lru.remove(b)
	b.dirty = false
}

// dropCache empties the cache (after recovery wrote blocks behind it).
func (f *FS) dropCache() {
	f.cache = map[uint32]*buf{}
	f.txn = map[uint32]*buf{}
	f.lru = lruList{}
	f.inodes = map[uint32]*inode{}
}
