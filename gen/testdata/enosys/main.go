// Command enosys makes a system call that the library OS does not implement (pipe2): the call must
// fail with ENOSYS, and a kernel built with DebugSyscalls says so on the console.
package main

import (
	"fmt"
	"syscall"
	"unsafe"
)

func main() {
	var fds [2]int32
	_, _, errno := syscall.RawSyscall(syscall.SYS_PIPE2, uintptr(unsafe.Pointer(&fds)), 0, 0)
	fmt.Println("pipe2:", errno)
}
