package sys

import (
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/sched"
)

// Mmap implements mmap(2) (anonymous mappings only).
func Mmap(r *sched.Regs) int64 {
	return mm.Mmap(uintptr(r.RDI), uintptr(r.RSI), int(r.RDX), int(r.R10))
}

// Munmap implements munmap(2).
func Munmap(r *sched.Regs) int64 { return mm.Munmap(uintptr(r.RDI), uintptr(r.RSI)) }

// Mprotect implements mprotect(2).
func Mprotect(r *sched.Regs) int64 {
	return mm.Mprotect(uintptr(r.RDI), uintptr(r.RSI), int(r.RDX))
}

// Madvise implements madvise(2).
func Madvise(r *sched.Regs) int64 {
	return mm.Madvise(uintptr(r.RDI), uintptr(r.RSI), int(r.RDX))
}

// Brk reports that the data segment cannot grow; the Go runtime only uses mmap.
func Brk(r *sched.Regs) int64 { return 0 }
