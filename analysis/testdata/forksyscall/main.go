// Command forksyscall forks with a raw system call, which a unikernel
// cannot do: the diagnostic points at the system call.
package main

import (
	"fmt"
	"syscall"
)

func main() {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	fmt.Println(pid, errno)
}
