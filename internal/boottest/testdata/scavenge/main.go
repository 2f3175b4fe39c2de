// Command scavenge allocates 256 MiB in a machine with much less memory, collecting and returning
// memory to the kernel (debug.FreeOSMemory: madvise) as it goes, so that demand paging, frees and
// re-faults of the same addresses are exercised under memory pressure.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

var sink []byte

func main() {
	total := 0
	for i := 0; i < 64; i++ {
		sink = make([]byte, 4<<20)
		for j := 0; j < len(sink); j += 4096 {
			sink[j] = byte(i)
		}
		total += len(sink)
		if i%8 == 7 {
			sink = nil
			runtime.GC()
			debug.FreeOSMemory()
		}
	}
	fmt.Println("allocated MiB:", total>>20)
}
