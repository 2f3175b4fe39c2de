// This file implements the lower bound of the guest memory (-m, config.Kernel.MemoryMiB).

package main

import (
	"fmt"
	"path/filepath"
)

// checkMinMemory refuses a guest memory of mib MiB when the image needs more: minMiB, computed
// from the image at build time (image.MinMemoryMiB: its loaded part plus what the kernel and
// the Go runtime need to start). Booted with less, the kernel would only stop with "not enough
// memory", or hang before it can say anything when the image does not fit in RAM. from says where
// mib comes from: "-m" (the flag), the source position of config.Kernel.MemoryMiB, or "" (the
// default).
func checkMinMemory(mib int, from, image string, minMiB int) error {
	if mib >= minMiB {
		return nil
	}
	name := filepath.Base(image)
	switch from {
	case "-m":
		return fmt.Errorf("-m %d: %s needs at least %d MiB of memory (the image, and what the kernel and the Go runtime need to start)", mib, name, minMiB)
	case "":
		return fmt.Errorf("%s needs at least %d MiB of memory, more than the default %d MiB: give it more with -m or config.Kernel.MemoryMiB", name, minMiB, mib)
	}
	return fmt.Errorf("%s: config.Kernel.MemoryMiB: %d MiB is less than the %d MiB that %s needs (the image, and what the kernel and the Go runtime need to start)", from, mib, minMiB, name)
}
