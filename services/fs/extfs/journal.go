package extfs

// This file implements the journal's use: finding it at mount, replaying it, and committing the
// running transaction (package jbd2 has the format).

import (
	"fmt"

	"github.com/unikgen/unikgen/services/fs/extfs/disk"
	"github.com/unikgen/unikgen/services/fs/extfs/jbd2"
)

// journal is the file system's journal: the blocks of the journal inode and its superblock.
type journal struct {
	blocks []uint32 // physical block of each journal block
	sb     *jbd2.Super
	seq    uint32 // the next transaction's sequence number
	// head is the log block where the next transaction starts: right after the previous one,
	// so that a transaction never overwrites the one before it (whose emptying of the journal
	// may not be durable yet; see commitLocked).
	head uint32
	// soft is the transaction size (in blocks) past which an operation's end commits.
	soft int
}

// loadJournal finds the journal inode's blocks and reads the journal superblock.
func (f *FS) loadJournal() error {
	jin, err := f.iget(f.sb.JournalInum)
	if err != nil {
		return fmt.Errorf("journal inode %d: %v", f.sb.JournalInum, err)
	}
	if !jin.d.IsReg() || jin.d.Links == 0 {
		return fmt.Errorf("corrupt file system: the journal inode %d is not a regular file (mode %#o)", f.sb.JournalInum, jin.d.Mode)
	}
	n := jin.d.Size / uint64(f.bs)
	if n < 2 || n > uint64(f.sb.BlocksCount) {
		return fmt.Errorf("corrupt file system: the journal has %d blocks", n)
	}
	j := &journal{blocks: make([]uint32, n)}
	for i := range j.blocks {
		p, _, err := f.bmap(jin, uint64(i), false, 0)
		if err != nil {
			return fmt.Errorf("journal block map: %v", err)
		}
		if p == 0 {
			return fmt.Errorf("corrupt file system: the journal has a hole at block %d", i)
		}
		j.blocks[i] = p
	}
	b := make([]byte, f.bs)
	if _, err := f.dev.ReadAt(b, int64(j.blocks[0])*int64(f.bs)); err != nil {
		return fmt.Errorf("reading the journal superblock: %v", err)
	}
	js, err := jbd2.DecodeSuper(b, f.bs, uint32(n))
	if err != nil {
		return fmt.Errorf("corrupt file system: %v", err)
	}
	if js.Errno != 0 {
		f.logf("the journal records an error (%d) from an earlier mount: check the file system with e2fsck", js.Errno)
	}
	if js.Incompat&^jbd2.IncompatWritable != 0 && f.readOnly == nil {
		f.readOnly = fmt.Errorf("journal features %#x (checksums) cannot be written", js.Incompat&^jbd2.IncompatWritable)
	}
	j.sb = js
	j.seq = js.Sequence
	j.head = js.First
	j.soft = int(js.MaxLen-js.First) / 4
	f.jnl = j
	return nil
}

func (f *FS) writeJournalSuper() error {
	b := make([]byte, f.bs)
	copy(b, f.jnl.sb.Encode())
	_, err := f.dev.WriteAt(b, int64(f.jnl.blocks[0])*int64(f.bs))
	return err
}

// recover replays the journal when it holds transactions, then reads the file system's
// metadata again.
func (f *FS) recover() error {
	j := f.jnl
	if j.sb.Start == 0 {
		return nil
	}
	if f.opt.ReadOnly {
		return fmt.Errorf("the journal needs recovery, but the volume is read-only")
	}
	read := func(i uint32) ([]byte, error) {
		if int(i) >= len(j.blocks) {
			return nil, fmt.Errorf("journal block %d beyond its %d blocks: %w", i, len(j.blocks), jbd2.ErrCorrupt)
		}
		b := make([]byte, f.bs)
		_, err := f.dev.ReadAt(b, int64(j.blocks[i])*int64(f.bs))
		return b, err
	}
	write := func(blk uint64, b []byte) error {
		if blk >= uint64(f.sb.BlocksCount) || blk == 0 && f.bs == 1024 {
			return fmt.Errorf("the journal logs block %d, outside the file system: %w", blk, jbd2.ErrCorrupt)
		}
		_, err := f.dev.WriteAt(b, int64(blk)*int64(f.bs))
		return err
	}
	st, err := jbd2.Recover(j.sb, read, write)
	if err != nil {
		return fmt.Errorf("journal recovery: %v", err)
	}
	if err := f.dev.Flush(); err != nil {
		return err
	}
	j.sb.Start = 0
	j.sb.Sequence = st.Next
	j.seq = st.Next
	j.head = j.sb.First
	if err := f.writeJournalSuper(); err != nil {
		return err
	}
	if err := f.dev.Flush(); err != nil {
		return err
	}
	f.logf("journal replayed: %d transactions, %d blocks (%d revoked)", st.Transactions, st.Replayed, st.Revoked)
	f.dropCache()
	if err := f.readSuper(f.dev.Size()); err != nil {
		return fmt.Errorf("after journal recovery: %v", err)
	}
	return nil
}

// commitLocked commits the running transaction (docs in the package comment): the journal
// superblock pointing to the transaction and its log blocks, flush, the commit block, flush, the
// blocks home, flush, the journal superblock saying the journal is empty (not flushed: until it
// is durable a crash replays the transaction again, to the same result). Each transaction
// starts where the previous one ended, so that its log never overwrites a transaction that the
// durable journal superblock may still point to; a transaction takes at most half the journal.
// No revoke records are needed: a block freed in a transaction is never reused before that
// transaction is committed and written home, and from then on the journal superblock no longer
// points to an older transaction holding it. Without a journal (ext2), the blocks go home and
// the device is flushed.
func (f *FS) commitLocked() error {
	if f.failed != nil {
		return errIO
	}
	// data=ordered: the data goes to the device before the metadata that reaches it commits
	// (the commit's FLUSH requests order them).
	if err := f.flushData(); err != nil {
		return err
	}
	if len(f.txn) == 0 {
		return nil
	}
	bufs := f.sortedTxn()
	j := f.jnl
	if j != nil {
		n := jbd2.LogLen(f.bs, j.sb.Incompat, len(bufs)) + 1
		if n > int(j.sb.MaxLen-j.sb.First)/2 {
			f.logf("a transaction of %d blocks does not fit in half the journal (%d blocks): written in place", len(bufs), j.sb.MaxLen-j.sb.First)
			j = nil
		}
	}
	if j != nil {
		homes := make([]uint64, len(bufs))
		data := make([][]byte, len(bufs))
		for i, b := range bufs {
			homes[i], data[i] = uint64(b.blk), b.data
		}
		logBlocks, err := jbd2.LogBlocks(f.bs, j.sb.Incompat, j.seq, j.sb.UUID, homes, data)
		if err != nil {
			return f.fail(err)
		}
		j.sb.Start, j.sb.Sequence = j.head, j.seq
		if err := f.writeJournalSuper(); err != nil {
			return f.fail(err)
		}
		pos := make([]uint32, len(logBlocks)+1)
		for i := range pos {
			pos[i] = j.blocks[j.logBlock(uint32(i))]
		}
		if err := f.writeBlocks(pos[:len(logBlocks)], logBlocks); err != nil {
			return f.fail(err)
		}
		if err := f.dev.Flush(); err != nil {
			return f.fail(err)
		}
		now := f.now()
		cb := jbd2.CommitBlock(f.bs, j.seq, now/1e9, int32(now%1e9))
		if err := f.writeBlocks(pos[len(logBlocks):], [][]byte{cb}); err != nil {
			return f.fail(err)
		}
		if err := f.dev.Flush(); err != nil {
			return f.fail(err)
		}
		j.head = j.logBlock(uint32(len(pos)))
	}
	blks := make([]uint32, len(bufs))
	data := make([][]byte, len(bufs))
	for i, b := range bufs {
		blks[i], data[i] = b.blk, b.data
	}
	if err := f.writeBlocks(blks, data); err != nil {
		return f.fail(err)
	}
	if err := f.dev.Flush(); err != nil {
		return f.fail(err)
	}
	if j != nil {
		j.seq++
		j.sb.Start, j.sb.Sequence = 0, j.seq
		if err := f.writeJournalSuper(); err != nil {
			return f.fail(err)
		}
	} else if f.jnl != nil {
		// Written in place: the journal must not hold an older transaction that would undo it.
		f.jnl.seq++
		f.jnl.sb.Start, f.jnl.sb.Sequence = 0, f.jnl.seq
		if err := f.writeJournalSuper(); err != nil {
			return f.fail(err)
		}
	}
	for _, b := range bufs {
		f.clean(b)
	}
	f.freed = map[uint32]bool{}
	return nil
}

// logBlock returns the journal block i blocks after the head, wrapping around the ring of
// blocks First..MaxLen-1.
func (j *journal) logBlock(i uint32) uint32 {
	ring := j.sb.MaxLen - j.sb.First
	return j.sb.First + (j.head-j.sb.First+i)%ring
}

// writeBlocks writes data[i] to block blks[i], joining runs of consecutive blocks into one
// request.
func (f *FS) writeBlocks(blks []uint32, data [][]byte) error {
	bs := int64(f.bs)
	for i := 0; i < len(blks); {
		k := i + 1
		for k < len(blks) && k-i < maxRun && blks[k] == blks[k-1]+1 {
			k++
		}
		var b []byte
		if k == i+1 {
			b = data[i]
		} else {
			b = make([]byte, 0, (k-i)*f.bs)
			for _, d := range data[i:k] {
				b = append(b, d...)
			}
		}
		if _, err := f.dev.WriteAt(b, int64(blks[i])*bs); err != nil {
			return err
		}
		i = k
	}
	return nil
}

var _ = disk.Magic
