// Command irqstack runs code with its stack pointer at the very bottom of a mapped page, the
// page below never touched, while timer interrupts arrive; then it sleeps, which needs the timer.
// A kernel that delivered local APIC interrupts on the interrupted stack would fault pushing the
// frame onto the missing page, and the interrupt, already accepted by the APIC, would be lost
// with its in-service bit set: no timer interrupt would come again and the sleep would never end
// (it did, with an early form of issue 10's fix). Checked by internal/boottest (the same under
// QEMU and natively on Linux).
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// spinAt runs for about cycles TSC cycles with SP at sp, then restores SP.
func spinAt(sp uintptr, cycles uint64)

func main() {
	const page = 4096
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		fmt.Println("mmap:", err)
		os.Exit(1)
	}
	mem[page] = 1 // the upper page is there; the lower one is not touched
	top := uintptrOf(&mem[page])
	for i := 0; i < 5; i++ {
		spinAt(top, 200_000_000)
	}
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("slept after spinning at the bottom of a page:", time.Since(start) >= 20*time.Millisecond)
}
