package jbd2

import (
	"bytes"
	"fmt"
	"testing"
)

const bs = 1024

// journalImage is a journal of n blocks in memory.
type journalImage [][]byte

func newJournal(n int) (journalImage, *Super) {
	j := make(journalImage, n)
	for i := range j {
		j[i] = make([]byte, bs)
	}
	s := NewSuper(bs, uint32(n), [16]byte{1, 2, 3})
	copy(j[0], s.Encode())
	return j, s
}

func (j journalImage) read(i uint32) ([]byte, error) {
	if int(i) >= len(j) {
		return nil, fmt.Errorf("block %d", i)
	}
	return j[i], nil
}

// logTx writes transaction seq at log block at (wrapping) and returns the block after it.
func (j journalImage) logTx(t *testing.T, s *Super, at uint32, seq uint32, homes []uint64, data [][]byte, commit bool) uint32 {
	blocks, err := LogBlocks(bs, s.Incompat, seq, s.UUID, homes, data)
	if err != nil {
		t.Fatal(err)
	}
	if commit {
		blocks = append(blocks, CommitBlock(bs, seq, 1, 2))
	}
	for _, b := range blocks {
		copy(j[at], b)
		at++
		if at == s.MaxLen {
			at = s.First
		}
	}
	return at
}

// TestRecover: transactions written with LogBlocks and CommitBlock replay in order, wrapping
// around the ring; the uncommitted last one does not; an escaped block comes back whole.
func TestRecover(t *testing.T) {
	j, s := newJournal(64)
	blk := func(c byte) []byte { return bytes.Repeat([]byte{c}, bs) }
	escaped := blk(7)
	be.PutUint32(escaped, Magic)
	many := make([]uint64, 150) // several descriptor blocks
	manyData := make([][]byte, len(many))
	for i := range many {
		many[i] = uint64(1000 + i)
		manyData[i] = blk(byte(i))
	}
	at := uint32(40)
	s.Start, s.Sequence = at, 7
	at = j.logTx(t, s, at, 7, []uint64{10, 11}, [][]byte{blk(1), blk(2)}, true)
	at = j.logTx(t, s, at, 8, []uint64{10, 12}, [][]byte{blk(3), escaped}, true) // wraps
	at = j.logTx(t, s, at, 9, []uint64{13}, [][]byte{blk(9)}, false)             // not committed
	got := map[uint64][]byte{}
	var order []uint64
	st, err := Recover(s, j.read, func(b uint64, d []byte) error {
		got[b] = d
		order = append(order, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Transactions != 2 || st.Replayed != 4 || st.Next != 9 {
		t.Errorf("stats %+v, want 2 transactions, 4 blocks, next 9", st)
	}
	if !bytes.Equal(got[10], blk(3)) || !bytes.Equal(got[11], blk(2)) || !bytes.Equal(got[12], escaped) || got[13] != nil {
		t.Errorf("replayed blocks wrong: order %v", order)
	}
	// A big transaction in a bigger journal: several descriptors.
	j, s = newJournal(400)
	s.Start, s.Sequence = 1, 1
	j.logTx(t, s, 1, 1, many, manyData, true)
	got = map[uint64][]byte{}
	if st, err = Recover(s, j.read, func(b uint64, d []byte) error { got[b] = d; return nil }); err != nil || st.Replayed != len(many) {
		t.Fatalf("%+v %v", st, err)
	}
	for i, h := range many {
		if !bytes.Equal(got[h], manyData[i]) {
			t.Fatalf("block %d not replayed right", h)
		}
	}
}

// TestRevoke: a revoke record in a later transaction keeps an earlier logged block out.
func TestRevoke(t *testing.T) {
	j, s := newJournal(32)
	s.Incompat = IncompatRevoke
	s.Start, s.Sequence = 1, 1
	at := j.logTx(t, s, 1, 1, []uint64{5, 6}, [][]byte{make([]byte, bs), make([]byte, bs)}, true)
	r := j[at]
	putHeader(r, TypeRevoke, 2)
	be.PutUint32(r[12:], 20)
	be.PutUint32(r[16:], 5)
	j.logTx(t, s, at+1, 2, []uint64{7}, [][]byte{make([]byte, bs)}, true)
	var written []uint64
	st, err := Recover(s, j.read, func(b uint64, d []byte) error { written = append(written, b); return nil })
	if err != nil || st.Revoked != 1 || fmt.Sprint(written) != "[6 7]" {
		t.Errorf("%+v %v: wrote %v, want [6 7]", st, err, written)
	}
}

// FuzzRecover: recovery of any log ends, without failing, having written only whole blocks.
// The input is the log's blocks, 256 bytes each (recovery does not depend on the size), and
// the superblock's start, sequence and features.
func FuzzRecover(f *testing.F) {
	const small = 256
	j := make(journalImage, 12)
	for i := range j {
		j[i] = make([]byte, small)
	}
	s := &Super{BlockSize: small, MaxLen: 12, First: 1, Start: 3, Sequence: 5}
	blocks, _ := LogBlocks(small, 0, 5, s.UUID, []uint64{10, 11, 12}, [][]byte{make([]byte, small), make([]byte, small), make([]byte, small)})
	blocks = append(blocks, CommitBlock(small, 5, 0, 0))
	for i, b := range blocks {
		copy(j[3+i], b)
	}
	f.Add(bytes.Join(j, nil), uint32(3), uint32(5), uint32(0))
	f.Add(bytes.Join(j, nil), uint32(3), uint32(5), uint32(Incompat64Bit|IncompatRevoke|IncompatCsumV3))
	f.Fuzz(func(t *testing.T, b []byte, start, seq, incompat uint32) {
		n := len(b) / small
		if n < 2 || n > 64 {
			return
		}
		j := make(journalImage, n)
		for i := range j {
			j[i] = b[i*small : (i+1)*small]
		}
		s := &Super{BlockSize: small, MaxLen: uint32(n), First: 1, Start: 1 + start%uint32(n-1), Sequence: seq, Incompat: incompat & IncompatKnown}
		Recover(s, j.read, func(blk uint64, d []byte) error {
			if len(d) != small {
				t.Fatalf("replayed a block of %d bytes", len(d))
			}
			return nil
		})
	})
}
