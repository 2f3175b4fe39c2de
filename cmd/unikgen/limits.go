// This file checks the flags of a run that can be checked before the build: how long the guest may
// run, and the most memory it can use. (The least memory an image needs is known only once it is
// built, and is checked then.)

package main

import (
	"fmt"
	"log"
	"time"

	"github.com/unikgen/unikgen/internal/host/xenlab"
)

// maxMemoryMiB is the most guest memory the kernel uses: it maps and allocates only physical memory
// below 4 GiB (runtime/mm: the identity map covers the low 4 GiB), so more would be wasted; QEMU
// reserves it all the same, and fails on hosts that cannot.
const maxMemoryMiB = 4096

// checkMemory validates a guest memory size, named by what (-m, or config.Kernel.MemoryMiB for
// -target xen): between 1 MiB and maxMemoryMiB, and with xen (a run under the nested-Xen harness)
// what that machine leaves to a domain.
func checkMemory(what string, mib int, xen bool) error {
	switch {
	case mib <= 0:
		return fmt.Errorf("%s %d: want a positive number of MiB", what, mib)
	case mib > maxMemoryMiB:
		return fmt.Errorf("%s %d: at most %d MiB: the kernel uses only guest memory below 4 GiB", what, mib, maxMemoryMiB)
	case xen && mib > xenlab.MaxGuestMiB:
		return fmt.Errorf("%s %d: -target xen runs the domain in a nested Xen machine of %d MiB, %d of them for dom0: at most %d MiB",
			what, mib, xenlab.MachineMiB, xenlab.Dom0MiB, xenlab.MaxGuestMiB)
	}
	return nil
}

// xenNoLimit is how long a domain may run under -target xen with -timeout 0: ten years.
const xenNoLimit = 10 * 365 * 24 * time.Hour

// checkTimeout validates -timeout, the same for QEMU and Xen: 0 means no limit, and a negative
// duration is refused.
func checkTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("-timeout %v: want a positive duration, or 0 for no limit", d)
	}
	return nil
}

// checkRunLimits checks a run's memory (named by what) and -timeout before the build, saying what
// is wrong; it returns an exit status >= 0 when one is.
func checkRunLimits(what string, mib int, timeout time.Duration, xen bool) int {
	for _, err := range []error{checkMemory(what, mib, xen), checkTimeout(timeout)} {
		if err != nil {
			log.Print(err)
			return exitUsage
		}
	}
	return -1
}
