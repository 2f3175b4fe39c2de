package disk

import (
	"testing"
)

// FuzzParseDirBlock: any block either fails to parse or gives records that tile it exactly,
// each holding its name, and rewriting each record with PutDirent gives back the same records.
func FuzzParseDirBlock(f *testing.F) {
	b := make([]byte, 1024)
	PutDirent(b, 0, 2, 12, ".", FtDir, true)
	PutDirent(b, 12, 2, 12, "..", FtDir, true)
	PutDirent(b, 24, 11, 1000, "lost+found", FtDir, true)
	f.Add(b, true)
	f.Add(b[:512], false)
	f.Add(make([]byte, 1024), true)
	f.Fuzz(func(t *testing.T, b []byte, filetype bool) {
		ents, err := ParseDirBlock(b, filetype)
		if err != nil {
			return
		}
		off := 0
		for _, e := range ents {
			if e.Off != off || e.RecLen < 8 || e.RecLen%4 != 0 {
				t.Fatalf("record %+v at %d", e, off)
			}
			if e.Inode != 0 && (len(e.Name) == 0 || DirentLen(len(e.Name)) > e.RecLen) {
				t.Fatalf("record %+v: name does not fit", e)
			}
			off += e.RecLen
		}
		if off != len(b) {
			t.Fatalf("records cover %d of %d bytes", off, len(b))
		}
		c := make([]byte, len(b))
		for _, e := range ents {
			PutDirent(c, e.Off, e.Inode, e.RecLen, e.Name, e.Type, filetype)
		}
		again, err := ParseDirBlock(c, filetype)
		if err != nil || len(again) != len(ents) {
			t.Fatalf("rewritten block: %v, %d records of %d", err, len(again), len(ents))
		}
		for i := range ents {
			w := ents[i]
			if w.Inode == 0 {
				continue // the name of an unused record is not kept
			}
			if !filetype {
				w.Type = 0
			}
			if again[i] != w {
				t.Fatalf("record %d: %+v, rewritten %+v", i, w, again[i])
			}
		}
	})
}

// FuzzSuper: Check accepts or refuses any superblock without failing; an accepted one has a
// geometry whose derived sizes are sane, and decoding its encoding gives it back.
func FuzzSuper(f *testing.F) {
	s := &Super{InodesCount: 2048, BlocksCount: 8192, FirstDataBlock: 1, BlocksPerGroup: 8192,
		ClustersPerGrp: 8192, InodesPerGroup: 2048, Magic: Magic, RevLevel: 1, FirstIno: 11, InodeSize: 256}
	f.Add(s.Encode(), int64(8<<20))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if len(b) < SuperSize {
			return
		}
		s := DecodeSuper(b)
		if s.Check(size) != nil {
			return
		}
		if s.Groups() == 0 || s.GDTBlocks() == 0 || s.InodeTableBlocks() == 0 || int64(s.BlocksCount)*int64(s.BlockSize()) > size {
			t.Fatalf("accepted geometry: %d groups, %d descriptor blocks, %d inode table blocks", s.Groups(), s.GDTBlocks(), s.InodeTableBlocks())
		}
		again := DecodeSuper(s.Encode())
		again.raw = s.raw
		if *again != *s {
			t.Fatalf("encode/decode changed the superblock")
		}
	})
}
