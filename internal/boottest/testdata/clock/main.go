// Command clock checks the clocks: it prints the Unix time it reads (the test compares it with the
// host's), then sleeps 300 ms and reports whether time.Since agrees with a timer.
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println(time.Now().Unix())
	start := time.Now()
	time.Sleep(300 * time.Millisecond)
	d := time.Since(start)
	fmt.Println(d >= 300*time.Millisecond && d < 2*time.Second)
	t := time.NewTimer(50 * time.Millisecond)
	<-t.C
	fmt.Println(time.Since(start) >= 350*time.Millisecond)
}
