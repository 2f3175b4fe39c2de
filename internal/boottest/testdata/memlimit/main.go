// Command memlimit keeps 40 MiB live while it allocates 160 MiB in all, in 1 MiB buffers whose
// every page it writes: with the Go runtime's default GOGC=100 the heap may grow to twice the live
// heap (80 MiB) between collections, more than a 64 MiB machine has, unless the runtime knows the
// machine's size (GOMEMLIMIT). It first prints the soft memory limit the runtime runs with.
package main

import (
	"fmt"
	"math"
	"runtime/debug"
)

const (
	live  = 40 // MiB kept reachable
	total = 160
)

var ring [live][]byte

func main() {
	if limit := debug.SetMemoryLimit(-1); limit == math.MaxInt64 {
		fmt.Println("memory limit: none")
	} else {
		fmt.Printf("memory limit: %d MiB\n", limit>>20)
	}
	for i := 0; i < total; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		ring[i%live] = b
	}
	sum := 0
	for _, b := range ring {
		sum += int(b[0])
	}
	fmt.Printf("allocated %d MiB with %d MiB live (check %d)\n", total, live, sum)
}
