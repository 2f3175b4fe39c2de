// This file implements the PT_NOTE rewrite that marks an ELF as a PVH kernel.

package image

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
)

// XenElfnotePhys32Entry is the note type whose desc is the 32-bit physical entry point
// (xen/include/public/elfnote.h).
const XenElfnotePhys32Entry = 18

// padType is the type of the padding note (name "Go") that fills the rest of the segment. It is
// not one of Go's own note types (1-4, cmd/link/internal/ld/elf.go), so no tool reads it as a
// build ID.
const padType = 0x7567 // "gu"

// elf64HeaderSize is the size of an ELF64 file header (Elf64_Ehdr).
const elf64HeaderSize = 64

const (
	noteHdr  = 12                // namesz, descsz, type
	xenNote  = noteHdr + 4 + 4   // header, "Xen\0", 32-bit entry
	padNote  = noteHdr + 4       // header, "Go\0\0", no desc
	minNotes = xenNote + padNote // a segment that needs padding must hold both
)

// PatchFile rewrites the ELF file at path in place with [Patch] and [ShrinkZeroTail].
func PatchFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := Patch(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := ShrinkZeroTail(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o755)
}

// Patch rewrites the ELF image b in place into a PVH kernel: the first PT_NOTE segment large
// enough becomes a Xen PHYS32_ENTRY note whose value is the ELF entry address, followed by one
// padding note named "Go" that fills the rest of the segment, and that segment's p_align becomes
// 4. It fails, leaving b unchanged, when b is not an ELF64 x86-64 executable, when the entry or a
// PT_LOAD lies at or above 4 GiB, when b has a multiboot header, or when no PT_NOTE can hold the
// note. Patching an already patched image gives the same bytes.
func Patch(b []byte) error {
	f, err := parse(b)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	phoff, phentsize := le.Uint64(b[32:]), uint64(le.Uint16(b[54:]))
	// The note must not be written over the ELF header or the program headers, which Patch reads
	// and rewrites. (debug/elf has checked that offsets and sizes are below 2^63: no overflow.)
	headers := func(off, n uint64) bool {
		return off < elf64HeaderSize || off < phoff+uint64(len(f.Progs))*phentsize && phoff < off+n
	}
	idx := -1
	var seen []string
	for i, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		seen = append(seen, fmt.Sprintf("%d bytes at %#x", p.Filesz, p.Off))
		if fits(p.Filesz) && p.Off%4 == 0 && p.Off+p.Filesz <= uint64(len(b)) && !headers(p.Off, p.Filesz) {
			idx = i
			break
		}
	}
	if idx < 0 {
		if seen == nil {
			return fmt.Errorf("no PT_NOTE segment to hold the Xen PHYS32_ENTRY note (the Go linker emits one for .note.go.buildid)")
		}
		return fmt.Errorf("no PT_NOTE segment can hold the Xen PHYS32_ENTRY note: need %d bytes, or %d or more in steps of 4, at a 4-byte aligned offset past the ELF and program headers; have %v",
			xenNote, minNotes, seen)
	}
	p := f.Progs[idx]
	seg := b[p.Off : p.Off+p.Filesz]
	clear(seg)
	le.PutUint32(seg[0:], 4)
	le.PutUint32(seg[4:], 4)
	le.PutUint32(seg[8:], XenElfnotePhys32Entry)
	copy(seg[12:], "Xen\x00")
	le.PutUint32(seg[16:], uint32(f.Entry))
	if rest := seg[xenNote:]; len(rest) > 0 {
		le.PutUint32(rest[0:], 3) // "Go\0"
		le.PutUint32(rest[4:], uint32(len(rest)-padNote))
		le.PutUint32(rest[8:], padType)
		copy(rest[12:], "Go\x00")
	}
	le.PutUint64(b[phoff+uint64(idx)*phentsize+48:], 4) // Elf64_Phdr.p_align
	return nil
}

// fits reports whether a note segment of n bytes can be filled exactly with the Xen note and at
// most one padding note.
func fits(n uint64) bool {
	return n == xenNote || (n >= minNotes && n%4 == 0)
}

// Entry returns the value of the Xen PHYS32_ENTRY note of the ELF image b, reading the notes of
// every PT_NOTE segment the way a PVH loader does (4-byte aligned name and desc). It is an error
// when the note is missing or its segment's p_align is not 4.
func Entry(b []byte) (uint64, error) {
	f, err := parse(b)
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE || p.Off+p.Filesz > uint64(len(b)) {
			continue
		}
		seg := b[p.Off : p.Off+p.Filesz]
		for len(seg) >= noteHdr {
			namesz, descsz, typ := le.Uint32(seg), le.Uint32(seg[4:]), le.Uint32(seg[8:])
			nameEnd := noteHdr + align4(uint64(namesz))
			descEnd := nameEnd + align4(uint64(descsz))
			if descEnd > uint64(len(seg)) {
				return 0, fmt.Errorf("PT_NOTE at %#x: note overruns the segment", p.Off)
			}
			if typ == XenElfnotePhys32Entry && namesz == 4 && string(seg[noteHdr:noteHdr+4]) == "Xen\x00" {
				if p.Align != 4 {
					return 0, fmt.Errorf("PT_NOTE at %#x holds the Xen note but has p_align %d, want 4", p.Off, p.Align)
				}
				switch descsz {
				case 4:
					return uint64(le.Uint32(seg[nameEnd:])), nil
				case 8:
					return le.Uint64(seg[nameEnd:]), nil
				}
				return 0, fmt.Errorf("PT_NOTE at %#x: PHYS32_ENTRY desc has %d bytes, want 4 or 8", p.Off, descsz)
			}
			seg = seg[descEnd:]
		}
	}
	return 0, fmt.Errorf("no Xen PHYS32_ENTRY note")
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }
