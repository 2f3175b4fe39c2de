package image

import (
	"bytes"
	"debug/elf"
	"testing"
)

// FuzzNote runs the PVH note writer (Patch) and reader (Entry) on any file. Neither may fail
// otherwise than with an error; a refused Patch leaves the file unchanged; a patched file reads
// back the ELF entry address from its note, and patching it again changes nothing.
func FuzzNote(f *testing.F) {
	f.Add(goLike().bytes())
	f.Add(Floor())
	s := goLike()
	s.progs[1].filesz = 20 // exactly the Xen note
	f.Add(s.bytes())
	s = goLike()
	s.entry = 1 << 32 // refused: above 4 GiB
	f.Add(s.bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		Entry(b)
		c := bytes.Clone(b)
		if err := Patch(c); err != nil {
			if !bytes.Equal(b, c) {
				t.Fatalf("Patch failed (%v) but changed the file", err)
			}
			return
		}
		ef, err := elf.NewFile(bytes.NewReader(c))
		if err != nil {
			t.Fatalf("Patch accepted a file that debug/elf cannot read: %v", err)
		}
		entry, err := Entry(c)
		if err != nil || entry != ef.Entry {
			t.Fatalf("Entry of the patched file = %#x, %v; want the ELF entry %#x", entry, err, ef.Entry)
		}
		d := bytes.Clone(c)
		if err := Patch(d); err != nil || !bytes.Equal(c, d) {
			t.Fatalf("patching a patched file: %v, changed %v", err, !bytes.Equal(c, d))
		}
	})
}
