package platform

import "github.com/unikgen/unikgen/runtime/arch"

// halt stops the machine when the platform's exit did not: with platform operations it waits
// with interrupts off; without any (a fatal error before the platform came up, e.g. a Xen-only
// kernel booted elsewhere) it resets the machine, so that a hypervisor that would otherwise keep
// a halted guest forever (QEMU with -no-reboot) ends it instead.
func halt() {
	if ops.Exit == nil {
		Reset()
	}
	arch.HaltForever()
}

var nullIDT [10]byte

// Reset resets the machine with a triple fault: with an empty IDT, a breakpoint cannot be
// delivered.
func Reset() {
	arch.Lidt(arch.Addr(nullIDT[:]))
	arch.Breakpoint()
	arch.HaltForever()
}
