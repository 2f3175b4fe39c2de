// Package schedtest lets tests on the host create runtime/sched threads, which take their memory
// from page-aligned 4 KiB frames: Frames gives such frames from an anonymous mapping of the test
// process, for sched.UseFrames, where the kernel would use the machine's memory (runtime/mm).
package schedtest

import (
	"sync"
	"syscall"
	"unsafe"
)

// Frames maps n zeroed frames and returns an allocator that hands them out, then reports
// exhaustion.
func Frames(n int) func() (uintptr, bool) {
	region, err := syscall.Mmap(-1, 0, n*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	next := 0
	return func() (uintptr, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next == n {
			return 0, false
		}
		next++
		return uintptr(unsafe.Pointer(&region[(next-1)*4096])), true
	}
}
