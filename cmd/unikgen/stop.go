// This file implements how unikgen stops early: on SIGINT, SIGTERM or SIGHUP, and when the reader
// of its standard output goes away (unikgen run . | head -3). Either way QEMU is stopped and the
// temporary files are removed before unikgen exits (the deferred clean-ups run: nothing calls
// os.Exit before dispatch returns); QEMU also dies with unikgen if unikgen is killed outright
// (internal/childproc).

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals end the main context.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// signalError is the cause of the main context's end: the signal that arrived.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	}
	return fmt.Sprintf("signal %d", int(s))
}

// exitSignal is the exit status of a process ended by signal s, as a shell reports it.
func exitSignal(s syscall.Signal) int { return 128 + int(s) }

// errStdoutClosed is the cause that ends a run whose standard output can no longer be written.
var errStdoutClosed = errors.New("standard output was closed")

// signalContext returns the main context: the first of stopSignals cancels it with a
// *signalError, and a second one exits at once (with QEMU: internal/childproc), for when stopping
// takes too long. It also asks for EPIPE instead of death by SIGPIPE when standard output or
// error is a closed pipe, so that a run can stop QEMU and clean up (see stopOnWriteError); child
// processes still start with SIGPIPE's default action.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) // never read: only changes write's behaviour
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(&signalError{sig: s.(syscall.Signal)})
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			log.Printf("%s again: exiting without cleaning up", signalName(s.(syscall.Signal)))
			os.Exit(exitSignal(s.(syscall.Signal)))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// interruption returns the exit status of a command that a signal interrupted (128 + its number),
// after saying so, or false when none did. The commands themselves print nothing about it.
func interruption(ctx context.Context) (int, bool) {
	var se *signalError
	if !errors.As(context.Cause(ctx), &se) {
		return 0, false
	}
	log.Print(se)
	return exitSignal(se.sig), true
}

// interrupted reports whether a signal ended ctx: then a command's failure is a consequence of
// the interruption (context canceled, go build killed), which interruption reports once.
func interrupted(ctx context.Context) bool {
	var se *signalError
	return errors.As(context.Cause(ctx), &se)
}

// stopOnWriteError wraps w, standard output: the first write that fails (EPIPE when the reader of
// a pipe has gone) calls stop with errStdoutClosed, and every later write is discarded, so that
// whoever writes (QEMU's output copier) is not blocked.
func stopOnWriteError(w io.Writer, stop context.CancelCauseFunc) io.Writer {
	return &stoppingWriter{w: w, stop: stop}
}

type stoppingWriter struct {
	w      io.Writer
	stop   context.CancelCauseFunc
	failed bool
}

func (s *stoppingWriter) Write(p []byte) (int, error) {
	if s.failed {
		return len(p), nil
	}
	if _, err := s.w.Write(p); err != nil {
		s.failed = true
		s.stop(errStdoutClosed)
	}
	return len(p), nil
}

// stoppedRun returns the exit status of a run that ctx ended early: as a process killed by SIGPIPE
// (141) when its standard output was closed, else that of the interruption (which main reports).
func stoppedRun(ctx context.Context) int {
	if errors.Is(context.Cause(ctx), errStdoutClosed) {
		log.Print("standard output was closed; QEMU stopped")
		return exitSignal(syscall.SIGPIPE)
	}
	return exitFailure // main replaces it with the interruption's status
}

// goTempDir makes the go commands that unikgen runs (go list, go build) keep their temporary
// files in a directory of unikgen's own, inside $GOTMPDIR if set, and returns a function that
// removes it. An interrupted go command leaves its work directory behind; this one goes with
// unikgen.
func goTempDir() func() {
	dir, err := os.MkdirTemp(os.Getenv("GOTMPDIR"), "unikgen-go-")
	if err != nil {
		return func() {} // go uses its default; nothing to remove
	}
	os.Setenv("GOTMPDIR", dir)
	return func() { os.RemoveAll(dir) }
}
