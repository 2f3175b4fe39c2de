package jbd2

import (
	"errors"
	"fmt"
)

// Writing a transaction (fs/jbd2/commit.c's layout, without checksums): descriptor blocks, each
// followed by the copies of the blocks its tags name, then, after the caller has made those
// durable, the commit block.

// tagsPer returns how many tags fit in one descriptor block (the first carries the UUID).
func tagsPer(blockSize int, incompat uint32) int {
	room := blockSize - headerSize - tailBytes(incompat) - 16
	return 1 + (room-TagBytes(incompat))/TagBytes(incompat)
}

// LogLen is the number of log blocks (descriptors and copies, not the commit block) that a
// transaction of n blocks takes.
func LogLen(blockSize int, incompat uint32, n int) int {
	per := tagsPer(blockSize, incompat)
	return n + (n+per-1)/per
}

// LogBlocks returns the log blocks of transaction seq logging data[i] as the new contents of
// file system block homes[i]: descriptors, each followed by its blocks' copies. A copy that
// starts with Magic is escaped (its first four bytes zeroed, its tag flagged).
func LogBlocks(blockSize int, incompat uint32, seq uint32, uuid [16]byte, homes []uint64, data [][]byte) ([][]byte, error) {
	if incompat&^IncompatWritable != 0 {
		return nil, fmt.Errorf("jbd2: cannot write a journal with features %#x (checksums)", incompat)
	}
	tb := TagBytes(incompat)
	per := tagsPer(blockSize, incompat)
	var out [][]byte
	for i := 0; i < len(homes); i += per {
		n := min(per, len(homes)-i)
		d := make([]byte, blockSize)
		putHeader(d, TypeDescriptor, seq)
		p := headerSize
		var copies [][]byte
		for j := 0; j < n; j++ {
			h := homes[i+j]
			if h>>32 != 0 && incompat&Incompat64Bit == 0 {
				return nil, fmt.Errorf("jbd2: block %d needs the 64bit journal feature", h)
			}
			c := make([]byte, blockSize)
			copy(c, data[i+j])
			var flags uint16
			if be.Uint32(c) == Magic {
				be.PutUint32(c, 0)
				flags |= FlagEscape
			}
			if j > 0 {
				flags |= FlagSameUUID
			}
			if j == n-1 {
				flags |= FlagLastTag
			}
			be.PutUint32(d[p:], uint32(h))
			be.PutUint16(d[p+6:], flags)
			if incompat&Incompat64Bit != 0 {
				be.PutUint32(d[p+8:], uint32(h>>32))
			}
			p += tb
			if j == 0 {
				copy(d[p:], uuid[:])
				p += 16
			}
			copies = append(copies, c)
		}
		out = append(out, d)
		out = append(out, copies...)
	}
	return out, nil
}

// CommitBlock returns the commit block of transaction seq, stamped with the time sec.nsec.
func CommitBlock(blockSize int, seq uint32, sec int64, nsec int32) []byte {
	b := make([]byte, blockSize)
	putHeader(b, TypeCommit, seq)
	be.PutUint64(b[0x30:], uint64(sec))
	be.PutUint32(b[0x38:], uint32(nsec))
	return b
}

// Recovery (fs/jbd2/recovery.c): a scan finds the last transaction that has its commit block, a
// second pass collects the revoke records, a third writes the logged blocks home, oldest first,
// leaving out those a later (or the same) transaction revoked.

// Stats says what recovery did.
type Stats struct {
	Transactions int    // complete transactions found
	Replayed     int    // blocks written home
	Revoked      int    // logged blocks left out because a transaction revoked them
	Next         uint32 // the sequence number for the next transaction
}

// ErrCorrupt is wrapped by recovery errors that describe a damaged log.
var ErrCorrupt = errors.New("corrupt journal")

// Recover replays the journal described by s. read returns log block i of the journal (0 is the
// superblock); write stores a block home (blocks beyond the file system must be refused by
// write). It does not change the journal: the caller then marks it empty (Start 0, Sequence
// Stats.Next) once the replayed blocks are durable.
func Recover(s *Super, read func(i uint32) ([]byte, error), write func(block uint64, b []byte) error) (Stats, error) {
	st := Stats{Next: s.Sequence}
	if s.Start == 0 {
		return st, nil
	}
	if s.Incompat&^IncompatKnown != 0 {
		return st, fmt.Errorf("jbd2: the journal needs recovery and has unknown features %#x", s.Incompat&^IncompatKnown)
	}
	end, err := pass(s, read, 0, nil, nil)
	if err != nil {
		return st, err
	}
	st.Transactions = int(end - s.Sequence)
	st.Next = end
	if end == s.Sequence {
		return st, nil
	}
	revoked := map[uint64]uint32{}
	if _, err := pass(s, read, end, revoked, nil); err != nil {
		return st, err
	}
	_, err = pass(s, read, end, revoked, func(block uint64, seq uint32, b []byte) error {
		if r, ok := revoked[block]; ok && int32(seq-r) <= 0 {
			st.Revoked++
			return nil
		}
		st.Replayed++
		return write(block, b)
	})
	return st, err
}

// pass walks the log from s.Start. With end 0 it is the scan and returns the sequence after the
// last complete transaction; otherwise it stops at transaction end, collecting revoke records
// into revoked (the second pass, replay nil) or handing each logged block to replay.
func pass(s *Super, read func(uint32) ([]byte, error), end uint32, revoked map[uint64]uint32, replay func(uint64, uint32, []byte) error) (uint32, error) {
	next := s.Sequence
	blk := s.Start
	ring := s.MaxLen - s.First
	advance := func() {
		blk++
		if blk >= s.MaxLen {
			blk -= ring
		}
	}
	walked := uint32(0) // blocks since the last commit: more than the ring is a loop
	for {
		if end != 0 && int32(next-end) >= 0 {
			return next, nil
		}
		b, err := read(blk)
		if err != nil {
			return next, err
		}
		advance()
		walked++
		if walked > ring {
			return next, fmt.Errorf("jbd2: transaction %d is longer than the journal: %w", next, ErrCorrupt)
		}
		typ, seq, ok := header(b)
		if !ok || seq != next {
			break
		}
		switch typ {
		case TypeDescriptor:
			tags := ParseTags(b, s.Incompat)
			for _, t := range tags {
				if replay != nil {
					d, err := read(blk)
					if err != nil {
						return next, err
					}
					c := append([]byte(nil), d...)
					if t.Flags&FlagEscape != 0 {
						be.PutUint32(c, Magic)
					}
					if err := replay(t.Block, next, c); err != nil {
						return next, err
					}
				}
				advance()
				walked++
			}
		case TypeCommit:
			next++
			walked = 0
		case TypeRevoke:
			if revoked == nil || replay != nil {
				continue
			}
			if err := revokes(b, s.Incompat, next, revoked); err != nil {
				return next, err
			}
		default:
			if end == 0 {
				return next, nil // an unknown block ends the log, as in the scan of recovery.c
			}
			return next, fmt.Errorf("jbd2: block type %d in transaction %d: %w", typ, next, ErrCorrupt)
		}
	}
	if end != 0 && next != end {
		return next, fmt.Errorf("jbd2: the log ended at transaction %d, the scan found %d: %w", next, end, ErrCorrupt)
	}
	return next, nil
}

// revokes records the revoke records of a revoke block of transaction seq.
func revokes(b []byte, incompat, seq uint32, revoked map[uint64]uint32) error {
	count := int(be.Uint32(b[headerSize:]))
	rec := 4
	if incompat&Incompat64Bit != 0 {
		rec = 8
	}
	if count < 16 || count > len(b)-tailBytes(incompat) {
		return fmt.Errorf("jbd2: revoke block of transaction %d uses %d bytes: %w", seq, count, ErrCorrupt)
	}
	for p := 16; p+rec <= count; p += rec {
		var blk uint64
		if rec == 8 {
			blk = be.Uint64(b[p:])
		} else {
			blk = uint64(be.Uint32(b[p:]))
		}
		if r, ok := revoked[blk]; !ok || int32(seq-r) > 0 {
			revoked[blk] = seq
		}
	}
	return nil
}
