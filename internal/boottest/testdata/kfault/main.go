// Command kfault makes the library OS fault: it passes write(2) an address in page 0, which the
// kernel dereferences. The kernel must report the fault and end the machine with a non-zero
// status, not hang.
package main

import (
	"fmt"
	"syscall"
)

func main() {
	fmt.Println("about to pass a bad pointer to the kernel")
	syscall.Syscall(syscall.SYS_WRITE, 1, 8, 5)
	fmt.Println("not reached")
}
