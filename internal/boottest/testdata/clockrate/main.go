// Command clockrate lets the host check the guest's clock against its own: for 10 s it prints a
// numbered line every 100 ms with the guest's monotonic time since the start (the host timestamps
// each line as it arrives), then it sleeps for 1, 5, 20, 100 and 300 ms, 15 times over, and
// prints how long each sleep lasted by the guest's clock.
package main

import (
	"fmt"
	"time"
)

const (
	ticks  = 100
	period = 100 * time.Millisecond
	// sleepRounds: the host judges the shortest sleep of each length, so more rounds make a busy
	// host's descheduling less likely to hit them all (internal/boottest/clockrate_test.go).
	sleepRounds = 15
)

func main() {
	start := time.Now()
	for i := 0; i <= ticks; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * period)))
		fmt.Printf("tick %d %d\n", i, time.Since(start).Nanoseconds())
	}
	for range sleepRounds {
		for _, d := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond,
			100 * time.Millisecond, 300 * time.Millisecond} {
			t0 := time.Now()
			time.Sleep(d)
			fmt.Printf("sleep %d %d\n", d.Nanoseconds(), time.Since(t0).Nanoseconds())
		}
	}
	fmt.Println("done")
}
