// Command sse keeps values in SSE registers across preemption: with four Ps (four threads on the
// kernel's one CPU) goroutines run long floating-point loops without calls, so the kernel's
// timeslice switches threads, and asynchronous preemption interrupts them, mid-loop. Each result is checked against the closed form; a lost or mixed-up register state
// across a thread switch or a signal would change it.
package main

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

func sum(k float64, n int) float64 {
	s := 0.0
	for i := 1; i <= n; i++ {
		s += k * float64(i)
	}
	return s
}

func main() {
	runtime.GOMAXPROCS(4)
	const n = 3_000_000
	var wg sync.WaitGroup
	bad := make([]bool, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			k := float64(g + 1)
			want := k * n * (n + 1) / 2
			for r := 0; r < 3; r++ {
				if got := sum(k, n); math.Abs(got-want) > want*1e-12 {
					bad[g] = true
				}
			}
		}(g)
	}
	wg.Wait()
	fmt.Println("sse state kept:", fmt.Sprint(bad) == "[false false false false false false false false]")
}
