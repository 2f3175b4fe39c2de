// Command rawsyscall makes system calls directly: constant numbers name
// them; a number read at run time means the program may make any call. It
// also opens a raw UDP socket with constant socket() arguments.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	pid, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	fmt.Println("pid", pid)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	fmt.Println(fd, err)
	if len(os.Args) > 1 {
		n, _ := strconv.Atoi(os.Args[1])
		r, _, errno := syscall.Syscall(uintptr(n), 0, 0, 0)
		fmt.Println(r, errno)
	}
}
