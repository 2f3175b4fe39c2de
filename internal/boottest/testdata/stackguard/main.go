// Command stackguard writes downwards through its main thread's stack, from the strings at its top
// (os.Args[0] lives there, on Linux and in a unikgen kernel), until it faults. The stack is 8 MiB
// (RLIMIT_STACK on Linux; the kernel maps 8 MiB) and below it there must be nothing mapped: the
// fault must come within 64 KiB of 8 MiB below the top, not further down, after overwriting
// whatever lies below.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"
)

const stackSize = 8 << 20

// fill writes zeros below p, word by word, until a write faults (fill_amd64.s: the compiler
// drops the stores of such a loop written in Go).
func fill(p unsafe.Pointer)

func main() {
	// Linux grows the main thread's stack up to RLIMIT_STACK: make that the kernel's 8 MiB.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &lim); err == nil && lim.Cur != stackSize {
		lim.Cur = min(stackSize, lim.Max)
		syscall.Setrlimit(syscall.RLIMIT_STACK, &lim)
	}
	start := unsafe.Pointer(unsafe.StringData(os.Args[0]))
	top := uintptr(start)
	fmt.Println("writing down the main thread's stack")
	debug.SetPanicOnFault(true)
	defer func() {
		r := recover()
		e, ok := r.(interface{ Addr() uintptr })
		if !ok {
			fmt.Println("no fault address:", r)
			os.Exit(1)
		}
		below := top - e.Addr()
		fmt.Println("faulted 8 MiB below the top of the stack:", below > stackSize-64<<10 && below <= stackSize+64<<10)
		if below <= stackSize-64<<10 || below > stackSize+64<<10 {
			fmt.Printf("fault %#x bytes below %#x\n", below, top)
		}
	}()
	fill(start)
}
