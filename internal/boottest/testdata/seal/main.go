// Command seal breaks the sealing of its own address space in the way its argument names: it
// writes to its text or to its read-only data, or it jumps into code bytes it put in its data, its
// BSS, its heap or its stack. On Linux, and in a unikgen kernel, each ends in a SIGSEGV that the
// Go runtime reports as "fatal error: fault" with exit status 2; a line "... succeeded" means the
// memory was not protected.
package main

import (
	"fmt"
	"os"
	"reflect"
	"unsafe"
)

// code is x86-64 for "mov $42, %eax; ret": called as a func() int it returns 42.
var code = [...]byte{0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}

var (
	bssCode [16]byte
	heap    []byte
)

func target() int { return 7 }

// call calls the code at p as a func() int: a func value points at a word holding the code's
// address.
//
//go:noinline
func call(p unsafe.Pointer) int {
	fv := &p
	f := *(*func() int)(unsafe.Pointer(&fv))
	return f()
}

//go:noinline
func onStack() int {
	var buf [16]byte
	copy(buf[:], code[:])
	return call(unsafe.Pointer(&buf[0]))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Println("usage: seal write-text|write-rodata|exec-data|exec-bss|exec-heap|exec-stack")
		os.Exit(1)
	}
	what := os.Args[1]
	fmt.Println("about to", what)
	switch what {
	case "write-text":
		*(*byte)(unsafe.Pointer(reflect.ValueOf(target).Pointer())) = 0xc3
		fmt.Println("target() =", target())
	case "write-rodata":
		s := "a constant string"
		*(*byte)(unsafe.Pointer(unsafe.StringData(s))) = 'A'
		fmt.Println(s)
	case "exec-data":
		fmt.Println("code in data returned", call(unsafe.Pointer(&code[0])))
	case "exec-bss":
		copy(bssCode[:], code[:])
		fmt.Println("code in BSS returned", call(unsafe.Pointer(&bssCode[0])))
	case "exec-heap":
		heap = append([]byte(nil), code[:]...)
		fmt.Println("code on the heap returned", call(unsafe.Pointer(&heap[0])))
	case "exec-stack":
		fmt.Println("code on the stack returned", onStack())
	default:
		fmt.Println("unknown case", what)
		os.Exit(1)
	}
	fmt.Println(what, "succeeded")
}
