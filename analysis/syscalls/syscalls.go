// Package syscalls finds the Linux system calls a program can make.
//
// A system call is made either by assembly (the runtime's own calls, found
// by package load in the .s files of reachable functions) or by Go code that
// passes a trap number to one of the entry points listed in Entries. The
// number is a constant at almost every call site; reach.ConstArgs follows it
// through wrappers. A reachable site with a number that is not a constant
// means that the program can make any system call: the site is reported.
package syscalls

import (
	"go/constant"
	"go/token"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/reach"
	"github.com/unikgen/unikgen/runtime/sysno"
	"golang.org/x/tools/go/ssa"
)

// An Entry is a function whose parameter Param is a system call number.
type Entry struct {
	Func  string // linker-style symbol
	Param int
}

// Entries are the lowest-level Go entry points that take a trap number
// (syscall.Syscall, Syscall6, RawSyscall and RawSyscall6 pass theirs on to
// internal/runtime/syscall/linux.Syscall6, and are found as wrappers).
var Entries = []Entry{
	{"internal/runtime/syscall/linux.Syscall6", 0},
	{"syscall.rawSyscallNoError", 0},
	{"syscall.rawVforkSyscall", 0},
	{"syscall.runtime_doAllThreadsSyscall", 0},
	{"syscall.Syscall", 0},
	{"syscall.Syscall6", 0},
	{"syscall.RawSyscall", 0},
	{"syscall.RawSyscall6", 0},
	{"golang.org/x/sys/unix.Syscall", 0},
	{"golang.org/x/sys/unix.Syscall6", 0},
	{"golang.org/x/sys/unix.RawSyscall", 0},
	{"golang.org/x/sys/unix.RawSyscall6", 0},
	{"golang.org/x/sys/unix.SyscallNoError", 0},
	{"golang.org/x/sys/unix.RawSyscallNoError", 0},
}

// A Site is one reachable place that makes a system call.
type Site struct {
	Nr     int           // the number, or -1 if it is not a constant
	Caller *ssa.Function // the function making the call
	Pos    token.Pos     // the call (NoPos for assembly)
	Callee *ssa.Function // the function called (nil for assembly)
	Asm    bool          // made by assembly
}

// InRuntime reports whether the site belongs to the Go runtime (package
// runtime or internal/runtime/...).
func (s Site) InRuntime() bool { return IsRuntime(s.Caller) }

// IsRuntime reports whether f belongs to the Go runtime.
func IsRuntime(f *ssa.Function) bool {
	if f == nil {
		return true // the runtime's assembly-only roots
	}
	if f.Pkg == nil {
		return false
	}
	p := f.Pkg.Pkg.Path()
	return p == "runtime" || strings.HasPrefix(p, "internal/runtime/")
}

// Find returns the system call sites of the reachable program, sorted by
// number, then position. Non-constant numbers in the runtime are skipped
// (the runtime only forwards numbers it was given, e.g. for
// syscall.AllThreadsSyscall, whose own call site is reported).
func Find(res *reach.Result) []Site {
	var params []reach.Param
	for _, e := range Entries {
		if f := reach.Func(res.Prog, e.Func); f != nil && res.Reachable[f] {
			params = append(params, reach.Param{Func: f, Index: e.Param})
		}
	}
	var sites []Site
	for _, a := range res.ConstArgs(params) {
		nr := -1
		if a.Value != nil {
			if v, ok := constant.Int64Val(constant.ToInt(a.Value)); ok {
				nr = int(v)
			}
		}
		s := Site{Nr: nr, Caller: a.Caller, Pos: a.Pos, Callee: a.Callee}
		if nr < 0 && s.InRuntime() {
			continue
		}
		sites = append(sites, s)
	}
	for f, nrs := range res.AsmSyscalls {
		for _, nr := range nrs {
			sites = append(sites, Site{Nr: nr, Caller: f, Asm: true})
		}
	}
	for _, nr := range res.RuntimeAsm {
		sites = append(sites, Site{Nr: nr, Asm: true})
	}
	sort.SliceStable(sites, func(i, j int) bool {
		a, b := sites[i], sites[j]
		if a.Nr != b.Nr {
			return a.Nr < b.Nr
		}
		if a.Pos != b.Pos {
			return a.Pos < b.Pos
		}
		return name(a.Caller) < name(b.Caller)
	})
	return sites
}

func name(f *ssa.Function) string {
	if f == nil {
		return ""
	}
	return f.String()
}

// Name returns the x86-64 name of system call nr, or "" if it is unknown. The table is the
// library OS's (runtime/sysno), so the analysis and the generated dispatch table agree.
func Name(nr int) string { return sysno.Name(nr) }

// Number returns the x86-64 number of the named system call.
func Number(name string) (int, bool) { return sysno.Number(name) }

// Max is the highest system call number in the table.
func Max() int { return sysno.Max - 1 }
