// Command execmem asks for executable memory, with mmap and with mprotect. A sealed unikgen
// kernel refuses both with EACCES (Linux would grant them).
package main

import (
	"fmt"
	"syscall"
)

func main() {
	_, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	fmt.Println("mmap PROT_EXEC:", err)
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	fmt.Println("mmap PROT_READ|PROT_WRITE:", err)
	b[0] = 1
	fmt.Println("mprotect PROT_EXEC:", syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_EXEC))
	fmt.Println("mprotect PROT_READ:", syscall.Mprotect(b, syscall.PROT_READ))
	fmt.Println("still readable:", b[0] == 1)
}
