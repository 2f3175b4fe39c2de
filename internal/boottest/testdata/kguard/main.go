// Command kguard makes the kernel read the address given as its argument (in hexadecimal): it
// passes it to write(2) as the buffer. The test passes the guard page below the kernel stack,
// which the kernel must report as a fault in the kernel (status 2) instead of reading it.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	addr, err := strconv.ParseUint(os.Args[1], 0, 64)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("about to pass %#x to the kernel\n", addr)
	syscall.Syscall(syscall.SYS_WRITE, 1, uintptr(addr), 16)
	fmt.Println("\nthe kernel read it")
}
