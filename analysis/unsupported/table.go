// This file lists the unsupported APIs.

package unsupported

// A Category groups unsupported APIs.
type Category struct {
	Name   string   // short name: process, ptrace, plugin, cgo
	What   string   // what the program tries to do, for messages
	Funcs  []string // linker-style symbols of functions
	Sysnrs []string // system calls, when made outside the runtime
}

// Table lists the unsupported APIs.
var Table = []Category{
	{
		Name: "process",
		What: "process creation (fork/exec/wait)",
		Funcs: []string{
			"os.StartProcess", "os.(*Process).Wait", "syscall.StartProcess", "syscall.ForkExec",
			"syscall.forkExec", "syscall.Exec", "syscall.Wait4",
			"golang.org/x/sys/unix.Exec", "golang.org/x/sys/unix.Wait4", "golang.org/x/sys/unix.Waitid",
		},
		Sysnrs: []string{"fork", "vfork", "execve", "execveat"},
	},
	{
		Name:   "ptrace",
		What:   "process tracing (ptrace)",
		Funcs:  []string{"syscall.ptrace", "syscall.ptracePtr", "golang.org/x/sys/unix.ptrace", "golang.org/x/sys/unix.ptracePtr"},
		Sysnrs: []string{"ptrace"},
	},
	{
		Name:  "plugin",
		What:  "loading a Go plugin",
		Funcs: []string{"plugin.Open", "plugin.(*Plugin).Lookup"},
	},
	{
		Name: "cgo",
		What: "cgo",
	},
}

// category returns the category of the given name.
func category(name string) *Category {
	for i := range Table {
		if Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}
