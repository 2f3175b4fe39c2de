// Package sys is the Linux system-call layer of the library OS: the x86-64 system-call numbers,
// the handlers that implement them on top of runtime/mm, runtime/sched, runtime/signal and
// runtime/fd, and the dispatch table. Calls with no handler return ENOSYS.
//
// The table a kernel links is chosen by its composition root (runtime/boot): the generic table
// (Generic) holds every handler; a specialised build generates a table with only the calls the
// program can reach, so the other handlers are not linked.
//
// Reference: Linux arch/x86/entry/syscalls/syscall_64.tbl; the man pages of each call.
package sys

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/sched"
)

// Handler implements one system call. It reads its arguments from the saved registers of the
// calling thread (RDI, RSI, RDX, R10, R8, R9) and returns the result or a negative errno. A
// handler that blocks the thread (sched.Block) returns a value that is ignored.
type Handler func(r *sched.Regs) int64

// Table maps system-call numbers to handlers.
type Table []Handler

var (
	table Table
	// Debug makes ENOSYS calls print their number and name once.
	Debug   bool
	noted   [512]bool
	current int
)

// Install selects the dispatch table.
func Install(t Table) { table = t }

// Dispatch runs the system call held in thread i's registers and, unless the thread blocked,
// stores the result in its RAX.
func Dispatch(i int) {
	t := sched.T(i)
	r := &t.Regs
	nr := r.RAX
	var res int64 = -errno.ENOSYS
	if nr < uint64(len(table)) && table[nr] != nil {
		res = table[nr](r)
	} else if Debug && nr < uint64(len(noted)) && !noted[nr] {
		noted[nr] = true
		klog.Print("unikgen: unsupported system call ")
		klog.Print(Name(int(nr)))
		klog.Print(" (")
		klog.Dec(int64(nr))
		klog.Print("): ENOSYS\n")
	}
	if t.State == sched.Running {
		r.RAX = uint64(res)
		t.Restart = false
	}
}
