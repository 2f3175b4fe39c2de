// This file implements the checks that an ELF must pass to be booted as a PVH kernel.

package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

const limit4G = 1 << 32

// parse checks that b is a little-endian ELF64 x86-64 executable whose entry and loadable
// segments lie below 4 GiB, and that it carries no multiboot header.
func parse(b []byte) (*elf.File, error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("not a little-endian ELF64 file (%v, %v)", f.Class, f.Data)
	}
	if f.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("machine is %v, want EM_X86_64", f.Machine)
	}
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("ELF type is %v, want ET_EXEC (a position-dependent executable)", f.Type)
	}
	if f.Entry == 0 || f.Entry >= limit4G {
		return nil, fmt.Errorf("entry address %#x is not in (0, 4 GiB): PVH enters in 32-bit mode", f.Entry)
	}
	loads := 0
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		loads++
		if p.Paddr+p.Memsz > limit4G || p.Vaddr+p.Memsz > limit4G || p.Paddr+p.Memsz < p.Paddr {
			return nil, fmt.Errorf("PT_LOAD segment %d (paddr %#x, vaddr %#x, memsz %#x) ends above 4 GiB",
				i, p.Paddr, p.Vaddr, p.Memsz)
		}
	}
	if loads == 0 {
		return nil, fmt.Errorf("no PT_LOAD segment")
	}
	if off, ok := multiboot(b); ok {
		return nil, fmt.Errorf("multiboot header at file offset %#x: QEMU would boot the file as multiboot, not PVH", off)
	}
	return f, nil
}

// multiboot reports the offset of a valid Multiboot 1 or Multiboot 2 header (magic plus
// checksum) in the places a loader searches.
func multiboot(b []byte) (int, bool) {
	u32 := binary.LittleEndian.Uint32
	for off := 0; off+12 <= len(b) && off+12 <= 8192; off += 4 {
		if u32(b[off:]) == 0x1BADB002 && u32(b[off:])+u32(b[off+4:])+u32(b[off+8:]) == 0 {
			return off, true
		}
	}
	for off := 0; off+16 <= len(b) && off+16 <= 32768; off += 8 {
		if u32(b[off:]) == 0xE85250D6 && u32(b[off:])+u32(b[off+4:])+u32(b[off+8:])+u32(b[off+12:]) == 0 {
			return off, true
		}
	}
	return 0, false
}
