// This file implements "unikgen run -target xen".

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/pipeline"
)

// announceWriter passes writes to w, preceded once, before the first one, by header. EnsureCache
// prints nothing when the harness is ready, so the header appears only when it is being built.
type announceWriter struct {
	w      io.Writer
	header string
	once   sync.Once
}

func (a *announceWriter) Write(p []byte) (int, error) {
	a.once.Do(func() { io.WriteString(a.w, a.header) })
	return a.w.Write(p)
}

// liveConsole writes the guest's console to w line by line while the domain runs (dom0 forwards
// it about once a second), holding back a line that may be the kernel's closing status line
// (xenlab.ConsoleStatusPrefix), which Result.Console leaves out. finish writes what the stream
// missed: the end of the complete console when the stream wrote a beginning of it.
type liveConsole struct {
	w       io.Writer
	mu      sync.Mutex
	wrote   []byte
	pending []byte // a status line, written when another line follows it
}

func (l *liveConsole) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 {
		l.emit(l.pending)
		l.pending = nil
	}
	if bytes.HasPrefix(p, []byte(xenlab.ConsoleStatusPrefix)) {
		l.pending = append([]byte(nil), p...)
		return len(p), nil
	}
	l.emit(p)
	return len(p), nil
}

func (l *liveConsole) emit(p []byte) {
	l.w.Write(p)
	l.wrote = append(l.wrote, p...)
}

// finish writes the part of console, the domain's complete console output, that the stream did
// not write.
func (l *liveConsole) finish(console []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytes.HasPrefix(console, l.wrote) {
		l.w.Write(console[len(l.wrote):])
	}
}

// ensureXenHarness builds the nested-Xen harness on first use, saying so on stderr.
func ensureXenHarness(ctx context.Context) int {
	dir, err := xenlab.DefaultCacheDir()
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	w := &announceWriter{w: os.Stderr, header: fmt.Sprintf(
		"unikgen: -target xen boots the kernel as a PVH domain of real Xen %s nested in QEMU (TCG).\n"+
			"unikgen: first use: building that harness in %s from Debian packages\n"+
			"unikgen: (Xen, a dom0 kernel, the Xen tools: about 77 MB, downloaded once; set %s to move it).\n",
		xenlab.XenVersion, dir, xenlab.CacheEnv)}
	if err := xenlab.EnsureCache(ctx, dir, w); err != nil {
		if interrupted(ctx) {
			return exitFailure // main reports the interruption
		}
		log.Printf("cannot build the nested-Xen harness: %v", err)
		return exitFailure
	}
	return -1
}

// xenRun is one "unikgen run -target xen".
type xenRun struct {
	image     string
	plan      *plan.Plan
	memoryMiB int
	cmdline   string        // cmdline.Encode(env, args); "" keeps the plan's default
	wait      time.Duration // -timeout: how long the domain may run
}

// runXen boots r.image under nested Xen and returns the exit status of unikgen run: the program's
// status, 124 when it ran past -timeout (or the harness did), 2 without QEMU, 1 when the guest
// crashed, rebooted or ended without a status, or the harness failed.
func runXen(ctx context.Context, r xenRun) int {
	text, err := pipeline.XLConfig(r.image, r.plan, r.memoryMiB, pipeline.XLDevices{})
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	wait := r.wait.Round(time.Second)
	if wait < r.wait {
		wait += time.Second
	}
	if wait == 0 { // -timeout 0: no limit
		wait = xenNoLimit
	}
	stdin, err := xenInput()
	if err != nil {
		log.Print(err)
		return exitUsage
	}
	live := &liveConsole{w: os.Stdout}
	res, err := xenlab.Run(ctx, xenlab.RunOptions{
		Image: r.image, XLConfig: string(text), Cmdline: r.cmdline, Wait: wait, Log: os.Stderr, Stdin: stdin,
		Console: live,
	})
	if res != nil && len(res.Console) > 0 {
		live.finish(res.Console)
		reportKernelFault(r.image, res.Console)
	}
	var nf *xenlab.NotFoundError
	var te *xenlab.TimeoutError
	switch {
	case errors.As(err, &nf):
		log.Print(err)
		return exitUsage
	case errors.As(err, &te):
		log.Print(err)
		return exitTimeout
	case err != nil && interrupted(ctx):
		if res != nil && res.WorkDir != "" {
			os.RemoveAll(res.WorkDir) // the logs of an interrupted run
		}
		return exitFailure // main reports the interruption
	case err != nil:
		log.Print(err)
		return exitFailure
	}
	status, err := res.Status()
	var ge *xenlab.GuestError
	switch {
	case err == nil:
		os.RemoveAll(res.WorkDir) // a clean run: its logs are not needed
		return status & 0xff
	case errors.As(err, &ge) && ge.Shutdown == "destroyed":
		log.Printf("the program was still running after -timeout %v: its domain was destroyed (console log %s, Xen serial log %s)",
			wait, res.GuestLog, res.XenLog)
		return exitTimeout
	}
	log.Printf("%v\nunikgen: console log %s", err, res.GuestLog)
	return exitFailure
}
