// This file implements the floor image: the smallest PVH kernel that boots and exits.

package image

import (
	"encoding/binary"

	"github.com/unikgen/unikgen/runtime/minmem"
)

// FloorBase is the load address of the floor image, the same as the first PT_LOAD of a unikgen
// kernel (minmem.ImageBase: the linker puts the ELF header page there, below libos.TextAddress).
const FloorBase = minmem.ImageBase

// floorCode is 32-bit code run at the PVH entry: it writes status 0 to QEMU's isa-debug-exit
// device at port 0xf4 (QEMU then exits with status 1) and halts forever if the device is absent.
var floorCode = []byte{
	0xb8, 0x00, 0x00, 0x00, 0x00, // mov $0, %eax
	0xe7, 0xf4, // out %eax, $0xf4
	0xf4,       // 1: hlt
	0xeb, 0xfd, // jmp 1b
}

// Floor returns a minimal PVH kernel: an ELF64 x86-64 executable with one PT_LOAD at
// [FloorBase] and a PT_NOTE holding only the Xen PHYS32_ENTRY note, whose code writes status 0
// to the isa-debug-exit device. Booting it measures what the machine, firmware and loader cost
// before a kernel's first instruction: the benchmarks' boot-time floor.
func Floor() []byte {
	const (
		ehsize    = 64
		phentsize = 56
		phnum     = 2
		noteOff   = ehsize + phnum*phentsize // 176
		codeOff   = noteOff + xenNote + 12   // 208: 16-byte aligned
	)
	size := codeOff + len(floorCode)
	b := make([]byte, size)
	le := binary.LittleEndian
	entry := uint64(FloorBase + codeOff)

	copy(b, "\x7fELF")
	b[4] = 2                 // ELFCLASS64
	b[5] = 1                 // ELFDATA2LSB
	b[6] = 1                 // EV_CURRENT
	le.PutUint16(b[16:], 2)  // ET_EXEC
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)  // EV_CURRENT
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], ehsize) // e_phoff
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phentsize)
	le.PutUint16(b[56:], phnum)
	le.PutUint16(b[58:], 64) // e_shentsize (no sections)

	ph := func(i int, typ, flags uint32, off, filesz, align uint64) {
		p := b[ehsize+i*phentsize:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], FloorBase+off) // p_vaddr
		le.PutUint64(p[24:], FloorBase+off) // p_paddr
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], filesz) // p_memsz
		le.PutUint64(p[48:], align)
	}
	ph(0, 1, 5, 0, uint64(size), 0x1000) // PT_LOAD, R+X, the whole file
	ph(1, 4, 4, noteOff, xenNote, 4)     // PT_NOTE, R

	n := b[noteOff:]
	le.PutUint32(n[0:], 4)
	le.PutUint32(n[4:], 4)
	le.PutUint32(n[8:], XenElfnotePhys32Entry)
	copy(n[12:], "Xen\x00")
	le.PutUint32(n[16:], uint32(entry))

	copy(b[codeOff:], floorCode)
	return b
}
