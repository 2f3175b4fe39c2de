package boot

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/cmdline"
)

// struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h), little-endian:
//
//	+0  u32 magic (0x336ec578)   +4  u32 version   +8  u32 flags   +12 u32 nr_modules
//	+16 u64 modlist_paddr        +24 u64 cmdline_paddr             +32 u64 rsdp_paddr
//	+40 u64 memmap_paddr         +48 u32 memmap_entries            +52 u32 reserved
//
// struct hvm_memmap_table_entry: +0 u64 addr, +8 u64 size, +16 u32 type, +20 u32 reserved.
const (
	siMagic         = 0x336ec578
	siOffVersion    = 4
	siOffCmdline    = 24
	siOffMemmap     = 40
	siOffMemEntries = 48
	memEntrySize    = 24
	memRAM          = 1
	maxMemEntries   = 64
)

type memEntry struct {
	addr, size uint64
	typ        uint32
}

type bootInfo struct {
	cmdline  [cmdline.MaxBytes + 1]byte // the line and a NUL (cmdline.MaxBytes: the host checks the length)
	ncmdline int
	mem      [maxMemEntries]memEntry
	nmem     int
}

// readStartInfo copies the command line and memory map out of hvm_start_info, before any memory
// after the image (where Xen puts them) is handed out.
func readStartInfo(p uintptr) bootInfo {
	var b bootInfo
	if p == 0 || *arch.U32(p) != siMagic {
		return b
	}
	if c := uintptr(*arch.U64(p + siOffCmdline)); c != 0 {
		for b.ncmdline < cmdline.MaxBytes {
			ch := *(*byte)(arch.Ptr(c + uintptr(b.ncmdline)))
			if ch == 0 {
				break
			}
			b.cmdline[b.ncmdline] = ch
			b.ncmdline++
		}
	}
	if *arch.U32(p + siOffVersion) >= 1 {
		m := uintptr(*arch.U64(p + siOffMemmap))
		n := int(*arch.U32(p + siOffMemEntries))
		for i := 0; i < n && b.nmem < maxMemEntries && m != 0; i++ {
			e := m + uintptr(i)*memEntrySize
			me := memEntry{*arch.U64(e), *arch.U64(e + 8), *arch.U32(e + 16)}
			if me.size == 0 {
				continue // qboot appends an empty entry
			}
			b.mem[b.nmem] = me
			b.nmem++
		}
	}
	return b
}
