// This file implements the smallest memory an image boots in.

package image

import (
	"debug/elf"
	"fmt"

	"github.com/unikgen/unikgen/runtime/minmem"
)

// LoadEnd returns the end of the loaded image: the highest p_paddr + p_memsz of its PT_LOAD
// segments.
func LoadEnd(b []byte) (uint64, error) {
	f, err := parse(b)
	if err != nil {
		return 0, err
	}
	var end uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			end = max(end, p.Paddr+p.Memsz)
		}
	}
	return end, nil
}

// MinMemoryMiB returns the smallest guest memory, in MiB, in which the image boots: RAM that holds
// its loaded part, plus what the kernel and the Go runtime need to reach the program's main
// (runtime/minmem, the numbers the kernel checks at boot). The program's own memory comes on top.
func MinMemoryMiB(b []byte) (int, error) {
	end, err := LoadEnd(b)
	if err != nil {
		return 0, err
	}
	if end < minmem.ImageBase {
		return 0, fmt.Errorf("the image ends at %#x, below the load address %#x", end, minmem.ImageBase)
	}
	return minmem.MiB(end), nil
}
