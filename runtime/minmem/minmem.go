// Package minmem says how much memory a unikgen kernel needs at least: the image's loaded part,
// plus the frames the kernel and the Go runtime take before the program's main runs. The build
// computes it from the ELF (image.MinMemoryMiB) to refuse a smaller -m or MemoryMiB before
// booting; the kernel checks the same numbers at boot (runtime/boot) and says "not enough memory"
// when the machine still has too little. The program's own memory comes on top.
//
// The kernel does not use RAM below 1 MiB (firmware data); the image is loaded at ImageBase;
// the RAM from 1 MiB to ImageBase and from the image's end up is the kernel's to hand out.
//
// The package holds only constants and arithmetic, so that the host tools can import it.
package minmem

const (
	// ImageBase is where the first PT_LOAD of a kernel starts (-T 0x201000: the ELF header page).
	ImageBase = 0x200000
	// FirstUsable is the lowest RAM address the kernel hands out.
	FirstUsable = 1 << 20
	// PageSize is the size of a frame.
	PageSize = 4096

	// KernelFrames is how many frames the kernel must be able to reach at their physical address
	// (its page tables, driver memory) right after boot: 256 KiB. The RAM between FirstUsable and
	// ImageBase (256 frames) provides them whenever the image fits.
	KernelFrames = 64
	// StartupFrames is how many frames the kernel and the Go runtime need, in all, to reach the
	// program's main: the kernel's page tables, the main thread's stack, the page tables of the
	// runtime's first mappings, its heap metadata, the first spans and goroutine stacks. 1.5 MiB:
	// twice what the most demanding program measured needs (frames in use at exit under QEMU:
	// examples/hello 131, a crypto/rand program 137, gen/testdata/nethttp, a net/http server, up
	// to its failing listen 186).
	StartupFrames = 384
)

// MiB returns the smallest memory, in whole MiB, of a machine that can start an image whose loaded
// part ends at the physical address end: RAM from 0 to the result must hold the image and, beside
// it, StartupFrames free frames.
func MiB(end uint64) int {
	end = (end + PageSize - 1) &^ (PageSize - 1)
	top := end + StartupFrames*PageSize - (ImageBase - FirstUsable)
	return int((top + 1<<20 - 1) >> 20)
}
