// Package childproc ties the life of a child process (QEMU) to this one, so that it never outlives
// unikgen, however unikgen ends.
//
// Run starts the command with, from Linux's prctl(2) and setpgid(2):
//
//   - PR_SET_PDEATHSIG = SIGKILL (syscall.SysProcAttr.Pdeathsig): the kernel kills the child when
//     the thread that started it exits, which includes this process dying of a signal it does not
//     handle, SIGKILL among them. Run keeps that thread alive until the child has been reaped
//     (runtime.LockOSThread), since the Go runtime may otherwise end idle threads.
//   - its own process group (Setpgid): a terminal's Ctrl-C reaches this process, which stops the
//     child itself, and cancelling the command's context kills the whole group, not only its
//     first process. (A process in a background group must not be handed the terminal as
//     standard input: reading it would stop it with SIGTTIN. Pass a pipe.)
package childproc

import (
	"context"
	"os/exec"
	"runtime"
	"syscall"
)

// Command returns an exec.Cmd, as exec.CommandContext does, whose process Run ties to this one:
// its own process group, SIGKILL when this process dies, and the end of ctx kills the group.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// The group's id is the child's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return cmd
}

// Run starts cmd (from Command), calls started (if not nil) once it runs, and waits for it, as
// cmd.Run does, on one OS thread: the thread whose exit PR_SET_PDEATHSIG watches.
func Run(cmd *exec.Cmd, started func()) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return err
	}
	if started != nil {
		started()
	}
	return cmd.Wait()
}
