// This file implements booting a kernel and decoding its exit status.

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/unikgen/unikgen/internal/childproc"
)

// Result is the outcome of a boot that ended with an exit status.
type Result struct {
	Status int           // the program's exit status
	Exact  bool          // the status came from the debug console, not from QEMU's exit code
	Wall   time.Duration // from starting QEMU to its exit
	CPU    time.Duration // QEMU's user and system CPU time: less sensitive to a busy host than Wall
}

// TimeoutError reports that the guest was still running when the timeout expired; QEMU was killed.
type TimeoutError struct{ Timeout time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %v; QEMU killed", e.Timeout)
}

// CrashError reports that the guest died without an exit status: the machine reset (QEMU exited 0
// under -no-reboot, a triple fault), or KVM stopped it with an internal error (QEMU then waits
// forever; Run kills it).
type CrashError struct{ KVM bool }

func (e *CrashError) Error() string {
	if e.KVM {
		return "KVM internal error: the guest was stopped, QEMU killed (some hosts' KVM cannot run the kernel; try -accel tcg)"
	}
	return "the guest reset without reporting an exit status (a triple fault: the kernel crashed)"
}

// ExitError reports that QEMU failed on its own (bad option, unreadable kernel) or exited with a
// code that carries no guest status.
type ExitError struct {
	Code   int
	Stderr string // QEMU's messages
}

func (e *ExitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("QEMU exited with status %d and no message", e.Code)
	}
	return fmt.Sprintf("QEMU exited with status %d: %s", e.Code, msg)
}

// Run boots c.Kernel under QEMU and waits for it to end. It returns the program's exit status, or
// a *[NotFoundError], *[TimeoutError], *[CrashError] or *[ExitError]. Cancelling ctx kills QEMU.
func Run(ctx context.Context, c Config) (Result, error) {
	qemu, err := LookPath(c.QEMU)
	if err != nil {
		return Result{}, err
	}
	if c.Accel == KVM {
		if err := checkKVM(); err != nil {
			return Result{}, err
		}
	}
	if _, err := os.Stat(c.Kernel); err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "unikgen-qemu-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	status := filepath.Join(dir, "status")
	args, err := c.CommandArgs(status)
	if err != nil {
		return Result{}, err
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if c.Timeout > 0 {
		var cancelT context.CancelFunc
		runCtx, cancelT = context.WithTimeout(runCtx, c.Timeout)
		defer cancelT()
	}
	if c.Trace != nil {
		c.Trace(append([]string{qemu}, args...))
	}
	// QEMU never outlives this process (internal/childproc); the end of runCtx kills it.
	cmd := childproc.Command(runCtx, qemu, args...)
	cmd.WaitDelay = 2 * time.Second
	pipes, err := c.setupConsole(cmd)
	if err != nil {
		return Result{}, err
	}
	var stderr bytes.Buffer
	kvmErr := &watcher{pattern: []byte("KVM internal error"), found: func() { cancel(errKVM) }}
	cmd.Stderr = io.MultiWriter(&stderr, kvmErr)
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, kvmErr, c.Stderr)
	}
	start := time.Now()
	err = childproc.Run(cmd, func() { pipes.started(c.Console, c.Stdin) })
	if cmd.Process == nil {
		pipes.close()
	} else {
		pipes.wait()
	}
	wall := time.Since(start)
	if runCtx.Err() != nil && ctx.Err() == nil {
		if context.Cause(runCtx) == errKVM {
			return Result{Wall: wall}, &CrashError{KVM: true}
		}
		return Result{Wall: wall}, &TimeoutError{Timeout: c.Timeout}
	}
	if ctx.Err() != nil {
		return Result{Wall: wall}, ctx.Err()
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() < 0 {
			return Result{Wall: wall}, fmt.Errorf("running QEMU: %w", err)
		}
		code = ee.ExitCode()
	}
	data, err := os.ReadFile(status)
	if err != nil && !os.IsNotExist(err) {
		return Result{Wall: wall}, err
	}
	st, exact, err := decodeStatus(code, data, stderr.String())
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return Result{Status: st, Exact: exact, Wall: wall, CPU: cpu}, err
}

// decodeStatus turns QEMU's exit code, the debug console file and QEMU's messages into the
// program's exit status.
func decodeStatus(code int, debugcon []byte, stderr string) (status int, exact bool, err error) {
	// The kernel's status is the last line. Firmware may have written before it: SeaBIOS (q35)
	// logs to the same port 0x402.
	if n, err := strconv.Atoi(lastLine(debugcon)); err == nil {
		return n, true, nil
	}
	switch {
	case code == 0:
		return 0, false, &CrashError{}
	case code == 1 && qemuFailed(stderr):
		// QEMU's own errors also exit 1, which would otherwise read as status 0.
		return 0, false, &ExitError{Code: code, Stderr: stderr}
	case code&1 == 1:
		return code >> 1, false, nil
	}
	return 0, false, &ExitError{Code: code, Stderr: stderr}
}

// qemuFailed reports whether QEMU printed an error (a message other than a warning).
func qemuFailed(stderr string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "warning:") {
			return true
		}
	}
	return false
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

var errKVM = errors.New("KVM internal error")

// watcher calls found once when pattern appears in what is written to it.
type watcher struct {
	pattern []byte
	buf     []byte
	found   func()
	done    bool
}

func (w *watcher) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if bytes.Contains(w.buf, w.pattern) {
		w.done = true
		w.found()
	}
	if keep := len(w.pattern) - 1; len(w.buf) > keep {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-keep:]...)
	}
	return len(p), nil
}
