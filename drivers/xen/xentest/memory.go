// This file implements device memory whose frame numbers fit a grant entry.

package xentest

import (
	"fmt"
	"sync"
	"syscall"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// Memory gives drivers page-aligned, zeroed pages in host memory below 16 TiB, so that their
// frame numbers (address / 4096) fit the 32-bit frame of a grant entry, as a guest's frames do
// (the Go heap may lie higher). The pages come from one anonymous mapping, asked for at a low
// address, and are never unmapped.
type Memory struct {
	mu         sync.Mutex
	base, next uintptr
	end        uintptr
	// Limit, when non-zero, is the number of pages Alloc gives before it fails.
	Limit int
	n     int
}

// MemoryPages is the size of a Memory's mapping, in pages.
const MemoryPages = 4096

// lowHint is where the mappings are asked for; the kernel may place them elsewhere.
var (
	lowMu   sync.Mutex
	lowHint uintptr = 0x100000000
)

// Alloc returns a zeroed page.
func (m *Memory) Alloc() (uintptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Limit > 0 && m.n >= m.Limit {
		return 0, fmt.Errorf("xentest: out of device memory (%d pages)", m.Limit)
	}
	if m.base == 0 {
		lowMu.Lock()
		hint := lowHint
		lowHint += MemoryPages * PageSize
		if lowHint >= 1<<43 {
			lowHint = 0x100000000
		}
		lowMu.Unlock()
		a, _, e := syscall.Syscall6(syscall.SYS_MMAP, hint, MemoryPages*PageSize,
			syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS, ^uintptr(0), 0)
		if e != 0 {
			return 0, fmt.Errorf("xentest: mmap: %v", e)
		}
		if a+MemoryPages*PageSize > 1<<44 {
			return 0, fmt.Errorf("xentest: mmap placed device memory at %#x, above 16 TiB", a)
		}
		m.base, m.next, m.end = a, a, a+MemoryPages*PageSize
	}
	if m.next == m.end {
		return 0, fmt.Errorf("xentest: device memory exhausted (%d pages)", MemoryPages)
	}
	p := m.next
	m.next += PageSize
	m.n++
	return p, nil
}

// Free unmaps the pages: every address Alloc gave is invalid afterwards.
func (m *Memory) Free() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.base != 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, m.base, MemoryPages*PageSize, 0)
		m.base, m.next, m.end, m.n = 0, 0, 0, 0
	}
}

// Bytes views n bytes at addr.
func (m *Memory) Bytes(addr uintptr, n int) []byte { return bytesAt(addr, n) }

func bytesAt(addr uintptr, n int) []byte { return hw.Bytes(addr, n) }
