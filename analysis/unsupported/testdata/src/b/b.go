// Package b wraps process creation; its facts reach package a.
package b

import (
	"os"
	"os/exec"
)

// Shell runs a shell command.
func Shell(cmd string) error { // want Shell:`reaches\(process: b.run -> os/exec.\(\*Cmd\).Run -> os/exec.\(\*Cmd\).Start -> os.StartProcess\)`
	return run(exec.Command("/bin/sh", "-c", cmd)) // want `unikernel: call of b.run reaches os.StartProcess`
}

func run(c *exec.Cmd) error { // want run:`reaches\(process: os/exec.\(\*Cmd\).Run -> os/exec.\(\*Cmd\).Start -> os.StartProcess\)`
	return c.Run() // want `unikernel: call of os/exec.\(\*Cmd\).Run reaches os.StartProcess: process creation \(fork/exec/wait\) is not possible in a unikernel`
}

// Start starts a process directly.
func Start(name string) (*os.Process, error) { // want Start:`reaches\(process: os.StartProcess\)`
	return os.StartProcess(name, nil, &os.ProcAttr{}) // want `unikernel: call of os.StartProcess: process creation`
}

// Harmless does nothing unsupported.
func Harmless() string { return os.Getenv("HOME") }
