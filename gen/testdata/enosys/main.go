// Command enosys makes a system call that the library OS does not implement (acct, process
// accounting): the call must fail with ENOSYS, and a kernel built with DebugSyscalls says so on
// the console.
package main

import (
	"fmt"
	"syscall"
)

func main() {
	_, _, errno := syscall.RawSyscall(syscall.SYS_ACCT, 0, 0, 0)
	fmt.Println("acct:", errno)
}
