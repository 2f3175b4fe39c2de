// Package a uses package b and the standard library.
package a

import (
	"b"
	"fmt"
	"plugin"
	"syscall"
)

func main() { // want main:`reaches\(process: b.Shell -> .*; ptrace: syscall.PtraceAttach -> syscall.ptrace; plugin: plugin.Open\)`
	fmt.Println(b.Harmless())
	_ = b.Shell("ls")                              // want `unikernel: call of b.Shell reaches os.StartProcess: process creation \(fork/exec/wait\) is not possible in a unikernel \(b.Shell -> b.run -> .*os.StartProcess\)`
	_, _ = plugin.Open("x.so")                     // want `unikernel: call of plugin.Open: loading a Go plugin is not possible in a unikernel`
	_ = syscall.Exec("/bin/true", nil, nil)        // want `unikernel: call of syscall.Exec: process creation`
	_ = syscall.PtraceAttach(1)                    // want `unikernel: call of syscall.PtraceAttach reaches syscall.ptrace: process tracing \(ptrace\)`
	var f = func() { _, _ = b.Start("/bin/true") } // want `unikernel: call of b.Start reaches os.StartProcess`
	f()
	syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0) // want `unikernel: call of syscall.RawSyscall\(SYS_FORK\): process creation`
	syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
}

var started, _ = b.Start("/bin/true") // want `unikernel: call of b.Start reaches os.StartProcess`
