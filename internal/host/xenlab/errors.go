package xenlab

import (
	"fmt"
	"time"
)

// Typed errors of Run, for callers (the CLI) that map them to exit codes with errors.As. Their
// messages are complete: they say what happened and where the logs are.

// NotFoundError: qemu-system-x86_64 is not installed.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("xenlab: %s not found in PATH: install QEMU 10 (scripts/install-qemu.sh)", e.Name)
}

// NoCacheError: the harness has not been built in Dir (call EnsureCache).
type NoCacheError struct{ Dir string }

func (e *NoCacheError) Error() string {
	return fmt.Sprintf("xenlab: no harness in the cache %s: call EnsureCache first", e.Dir)
}

// TimeoutError: QEMU ran past RunOptions.Timeout and was killed.
type TimeoutError struct {
	Timeout time.Duration
	Stage   string // how far the boot got
	Log     string // the serial log
	Tail    string // its last lines
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("xenlab: QEMU ran past the timeout of %v and was killed (%s); serial log %s ends with:\n%s",
		e.Timeout, e.Stage, e.Log, e.Tail)
}

// CreateError: `xl create` failed in dom0 (for example an image without the PVH note).
type CreateError struct {
	RC     int
	Log    string
	Errors string // the xl errors dom0 printed
}

func (e *CreateError) Error() string {
	return fmt.Sprintf("xenlab: xl create failed in dom0 (rc %d); its errors are in the serial log %s:\n%s", e.RC, e.Log, e.Errors)
}

// GuestError is returned by Result.Status when the guest did not end with SHUTDOWN_poweroff and a
// published exit status.
type GuestError struct {
	Shutdown  string
	Status    int
	HasStatus bool
	Log       string
}

func (e *GuestError) Error() string {
	switch e.Shutdown {
	case "poweroff":
		return fmt.Sprintf("xenlab: the kernel powered off without publishing an exit status (xenstore data/exit-status); serial log %s", e.Log)
	case "crash":
		return fmt.Sprintf("xenlab: the kernel crashed (SCHEDOP_shutdown crash); serial log %s", e.Log)
	case "reboot":
		return fmt.Sprintf("xenlab: the kernel rebooted (a triple fault, or SHUTDOWN_reboot); serial log %s", e.Log)
	case "destroyed":
		return fmt.Sprintf("xenlab: the kernel was still running after the wait and was destroyed; serial log %s", e.Log)
	}
	return fmt.Sprintf("xenlab: the domain ended with %q; serial log %s", e.Shutdown, e.Log)
}

// Status returns the guest's exit status when it ended normally (SHUTDOWN_poweroff with a published
// status), else a *GuestError describing how it ended.
func (r *Result) Status() (int, error) {
	if r.Shutdown == "poweroff" && r.HasExitStatus {
		return r.ExitStatus, nil
	}
	return -1, &GuestError{Shutdown: r.Shutdown, Status: r.ExitStatus, HasStatus: r.HasExitStatus, Log: r.XenLog}
}
