// Command goroutines exercises the Go runtime on the library OS: goroutines and channels, select,
// sync.Mutex and WaitGroup, timers (Sleep, Ticker, After), maps and sort, garbage collection,
// panic and recover, and asynchronous preemption of a goroutine that never calls a function. Its
// output is deterministic, the same as a Linux program (go run ./examples/goroutines) and as a
// kernel (unikgen run ./examples/goroutines).
package main

import (
	"fmt"
	"hash/crc32"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	runtime.GOMAXPROCS(1) // one P: the spinner below can only be stopped by preemption
	sum := crc32.NewIEEE()
	report := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		fmt.Println(s)
		sum.Write([]byte(s))
	}

	report("pipeline: %d", pipeline(1000))
	report("workers: %d", workers(8, 10000))
	report("select: %s", selectOrder())
	report("timers: %s", timers())
	report("maps: %s", maps(5000))
	mib, objects, grew := garbage()
	report("garbage: %d MiB in %d objects, GC ran: %v", mib, objects, grew)
	report("recover: %s", recovered())
	report("preempt: %s", preempt())
	fmt.Printf("checksum: %08x\n", sum.Sum32())
}

// pipeline sends 1..n through three goroutines connected by unbuffered channels.
func pipeline(n int) int {
	src, sq := make(chan int), make(chan int)
	go func() {
		for i := 1; i <= n; i++ {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			sq <- v * v % 1009
		}
		close(sq)
	}()
	total := 0
	for v := range sq {
		total += v
	}
	return total
}

// workers lets k goroutines add to a shared total under a mutex.
func workers(k, per int) int {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		total int
	)
	for w := 0; w < k; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				mu.Lock()
				total += w
				mu.Unlock()
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	return total
}

// selectOrder receives from three channels that become ready one after another.
func selectOrder() string {
	a, b, quit := make(chan string), make(chan string), make(chan struct{})
	go func() {
		a <- "a"
		b <- "b"
		a <- "a"
		close(quit)
	}()
	s := ""
	for {
		select {
		case v := <-a:
			s += v
		case v := <-b:
			s += v
		case <-quit:
			return s + "."
		}
	}
}

// timers checks that sleeping, a ticker and time.After run in order and take at least as long as
// asked.
func timers() string {
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	slept := time.Since(start) >= 10*time.Millisecond

	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	ticks := 0
	timeout := time.After(2 * time.Second) // only if the ticker is broken
loop:
	for {
		select {
		case <-tick.C:
			ticks++
			if ticks == 5 {
				break loop
			}
		case <-timeout:
			break loop
		}
	}
	elapsed := time.Since(start) >= 35*time.Millisecond
	return fmt.Sprintf("slept=%v ticks=%d elapsed=%v", slept, ticks, elapsed)
}

// maps fills a map, deletes from it and sorts its keys.
func maps(n int) string {
	m := make(map[string]int)
	for i := 0; i < n; i++ {
		m["k"+strconv.Itoa(i*7919%n)] = i
	}
	for i := 0; i < n; i += 3 {
		delete(m, "k"+strconv.Itoa(i))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("%d keys, first %s, last %s", len(keys), keys[0], keys[len(keys)-1])
}

var sink [][]byte

// garbage allocates 48 MiB in 1 KiB to 64 KiB objects, keeping little of it alive, and collects.
func garbage() (mib, objects int, grew bool) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	total := 0
	for size := 1 << 10; total < 48<<20; size = size*2%(64<<10) + 1<<10 {
		b := make([]byte, size)
		b[0] = byte(objects)
		sink = append(sink, b)
		if len(sink) > 64 {
			sink = sink[:0]
		}
		total += size
		objects++
	}
	sink = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	return total >> 20, objects, after.NumGC > before.NumGC
}

// recovered recovers from a panic with a value and from a runtime error (a nil map write).
func recovered() string {
	var got []string
	for _, f := range []func(){
		func() { panic("boom") },
		func() {
			var m map[string]int
			m["x"] = 1
		},
	} {
		func() {
			defer func() { got = append(got, fmt.Sprint(recover())) }()
			f()
		}()
	}
	return strings.Join(got, "; ")
}

// preempt starts a goroutine that spins in a loop without function calls until told to stop. With
// one P, the main goroutine only runs again, and can stop it, if the runtime preempts the spinner
// asynchronously (a signal on Linux; the library OS must deliver it).
func preempt() string {
	var stop atomic.Bool
	var started atomic.Bool
	done := make(chan uint64)
	go func() {
		started.Store(true)
		var x uint64 = 1
		for !stop.Load() {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		done <- x
	}()
	for !started.Load() {
		runtime.Gosched()
	}
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	x := <-done
	return fmt.Sprintf("spinner stopped (state nonzero: %v)", x != 0)
}
