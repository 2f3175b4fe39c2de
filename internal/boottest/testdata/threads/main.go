// Command threads locks 1,000 goroutines to OS threads of their own at the same time
// (runtime.LockOSThread), each blocked on a channel, and checks that they are 1,000 distinct
// threads; then it releases them and they finish, which ends their threads. It does this twice, so
// that the second round runs on the slots the first one freed.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
)

const n = 1000

func round() int {
	var mu sync.Mutex
	tids := map[int]bool{}
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			tid := syscall.Gettid()
			mu.Lock()
			tids[tid] = true
			mu.Unlock()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	close(release)
	done.Wait()
	return len(tids)
}

func main() {
	for r := 1; r <= 2; r++ {
		fmt.Printf("round %d: %d goroutines on distinct locked threads\n", r, round())
	}
	fmt.Println("all finished")
}
