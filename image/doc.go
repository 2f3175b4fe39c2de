// Package image turns the ELF that the Go linker writes into a Xen PVH kernel image, and writes
// the minimal "floor" PVH image that the benchmarks use as the boot-time baseline.
//
// The Go linker, run with -ldflags="-E=<entry> -T=0x201000", already emits an x86-64 ELF that a
// PVH loader can place (p_paddr == p_vaddr, first PT_LOAD at 0x200000) and one PT_NOTE segment
// covering .note.go.buildid. [Patch] rewrites that segment in place into the note that marks a PVH
// kernel, followed by one padding note, and sets the segment's p_align to 4. [ShrinkZeroTail]
// then lowers the p_memsz of the last, writable PT_LOAD so that the large zero variables at the end
// of the BSS are not loaded (the kernel maps them on demand). Nothing else in the file changes,
// and no binutils are needed.
//
// References:
//   - Xen docs/misc/pvh.pandoc (the PVH entry state) and xen/include/public/elfnote.h
//     (XEN_ELFNOTE_PHYS32_ENTRY = 18: "Physical entry point into the kernel ... 32bit flat protected
//     mode, paging disabled").
//   - System V ABI, ELF: program headers (PT_LOAD 1, PT_NOTE 4) and the note layout
//     {namesz, descsz, type, name padded to 4, desc padded to 4}.
//   - QEMU hw/i386/x86-common.c (pvh_load_elfboot) and include/hw/elf_ops.h: QEMU finds the note by
//     type and computes the desc offset as 12 + ALIGN_UP(namesz, p_align), hence p_align 4; it
//     boots a file with a multiboot header as multiboot instead, so such files are refused.
//   - Multiboot Specification 0.6.96 §3.1 (header magic 0x1BADB002 in the first 8192 bytes) and
//     Multiboot2 1.0 §3.1 (0xE85250D6 in the first 32768 bytes).
//   - The Go linker (cmd/link): with -E and -T it emits one PT_NOTE covering .note.go.buildid
//     (100 bytes), which this package rewrites in place; it sorts the symbols of .bss and
//     .noptrbss by size and defines runtime.end at the end of the BSS.
//   - Xen tools/libs/guest/xg_dom_core.c (xc_dom_chk_alloc_pages): the domain builder backs each
//     segment's whole p_memsz with guest pages, "segment kernel too large" otherwise.
package image
