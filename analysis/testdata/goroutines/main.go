// Command goroutines starts workers that sleep, send results over a channel
// and are waited for: goroutines, timers and synchronisation.
package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	results := make(chan int)
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			time.Sleep(time.Duration(n) * time.Millisecond)
			results <- n * n
		}(i)
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	sum := 0
	for r := range results {
		sum += r
	}
	start := time.Now()
	<-time.After(time.Millisecond)
	fmt.Println("sum", sum, "waited", time.Since(start) > 0)
}
