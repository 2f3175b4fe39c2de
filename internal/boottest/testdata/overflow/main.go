// Command overflow recurses without end on a goroutine stack limited to 8 MiB. The Go runtime's
// stack checks catch it, on Linux as in a unikgen kernel: "goroutine stack exceeds
// 8388608-byte limit" and "fatal error: stack overflow", exit status 2. (Without the limit the
// stack would grow to 1 GB, more than a small guest has: the kernel then reports that it is out of
// memory, also with status 2.)
package main

import (
	"fmt"
	"runtime/debug"
)

//go:noinline
func down(n int) int {
	var pad [128]byte
	pad[n%128] = byte(n)
	return down(n+1) + int(pad[(n+1)%128])
}

func main() {
	debug.SetMaxStack(8 << 20)
	fmt.Println("recursing")
	fmt.Println(down(0))
}
