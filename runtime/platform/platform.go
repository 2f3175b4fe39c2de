// Package platform holds the few operations that differ between the machines the library OS runs
// on (QEMU/KVM with a 16550 UART and isa-debug-exit, or a Xen PVH domain with its PV console and
// SCHEDOP_shutdown). The composition root (runtime/boot) installs them once at boot; the rest of the
// library OS calls them through this package and so depends on no platform.
package platform

import "github.com/unikgen/unikgen/runtime/klog"

// Ops are the platform operations.
type Ops struct {
	// Name is "qemu" or "xen".
	Name string
	// Exit ends the machine; status is the program's exit status (0..255).
	Exit func(status int)
	// Crash ends the machine after a fatal kernel error.
	Crash func()
}

var ops Ops

// Install sets the platform operations.
func Install(o Ops) { ops = o }

// Name returns the platform's name.
func Name() string { return ops.Name }

// Exit ends the machine with the program's exit status.
func Exit(status int) {
	if ops.Exit != nil {
		ops.Exit(status & 0xff)
	}
	halt()
}

// Fatal prints "fatal error: unikgen: " and msg (Go's style for unrecoverable errors) and ends the
// machine with status 2. Callers print details (addresses, a stack trace) before calling it.
func Fatal(msg string) {
	klog.Print("fatal error: unikgen: ")
	klog.Print(msg)
	klog.Print("\n")
	if ops.Crash != nil {
		ops.Crash()
	}
	Exit(2)
}
