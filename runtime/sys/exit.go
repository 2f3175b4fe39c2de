package sys

// This file implements the volume flush of exit_group(2): on Linux a process's written data
// survives its exit (it stays in the page cache), but here the program's exit powers the machine
// off, so the kernel first asks the file service to sync every mounted volume.

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sysno"
)

// ExitSyncBound bounds how long exit_group waits for the file service to sync the volumes
// (monotonic ns). A service that does not answer in time (a stuck device, a deadlock in a file
// system) is abandoned: the machine powers off with what the device has, as after a crash.
const ExitSyncBound = 10e9

// ExitStartBound bounds how long exit_group waits for the relay server to run again after it
// took the sync request (it calls relay_wait again once it has dispatched the request). A server
// that cannot run has no P: the exiting thread holds its P (runtime.exit makes no entersyscall),
// and with GOMAXPROCS=1 that is the only one. The machine then powers off without the sync.
const ExitStartBound = 1e9

// The state of the exit flush. Only the first exit_group asks for it; a thread calling
// exit_group meanwhile waits for the same deadline.
var (
	// exitSyncWanted is set by the file service (relay_notify on wire.ObjExitSync) once it
	// mounted a volume: without volumes the exit has nothing to sync and does not ask.
	exitSyncWanted bool
	exitSyncing    bool  // the sync request has been forwarded
	exitSynced     bool  // the file service answered it
	exitResult     int64 // its answer: 0, or -errno
	exitStart      int64
	exitDeadline   int64
	exitThread     int    // the thread whose exit_group was forwarded
	exitReq        int    // its relay request
	exitWaits      uint32 // relay.Waits() when it was forwarded
)

// ExitGroup ends the program and the machine (exit_group(2)). With volumes mounted, the call is
// first forwarded to the file service (services/fs answers exit_group by syncing
// every volume: commit, data write-back, device flush) and waits for its answer, at most
// ExitSyncBound, and ExitStartBound for the server to run at all; the completion runs the call
// again (exitSyncDone), which then powers off. Kernel fault paths (runtime/trap,
// platform.Fatal) call platform.Exit directly and do not wait, and neither does a crash of the
// Go runtime (goCrashing).
func ExitGroup(r *sched.Regs) int64 {
	if !exitSyncing && exitSyncWanted && relay.Running() && !relay.IsServer(sched.Current()) && !goCrashing(sched.CurrentThread()) {
		waits := relay.Waits()
		if !relay.Forward(sysno.SYS_EXIT_GROUP, -1, 0, 0, -1, regArgs(r)) {
			platform.Exit(int(r.RDI))
			return 0
		}
		t := sched.CurrentThread()
		if t.Wait == sched.WaitRelaySlot {
			return 0 // every request slot is taken: the call runs again when one is free
		}
		exitSyncing = true
		exitThread, exitReq, exitWaits = sched.Current(), int(t.WaitAddr), waits
		exitStart = ktime.Nanotime()
		exitDeadline = exitStart + ExitSyncBound
		t.Deadline = exitStart + ExitStartBound // sched.Expire re-executes a WaitRelay call at its deadline
		return 0
	}
	if exitSyncing && !exitSynced {
		now := ktime.Nanotime()
		switch {
		case now >= exitStart+ExitStartBound && relay.Waits()-exitWaits < 2:
			klog.Print("unikgen: exit: the file service did not run within 1 s (no P for it: GOMAXPROCS=1?): powering off without syncing the volumes\n")
		case now >= exitDeadline:
			klog.Print("unikgen: exit: the file service did not sync the volumes within 10 s: powering off without it\n")
		case sched.Current() == exitThread:
			sched.Block(sched.WaitRelay, uintptr(exitReq), exitDeadline) // the server runs: wait on
			return 0
		default:
			// Another thread's exit_group while the first waits for the sync.
			sched.Block(sched.WaitPoll, 0, exitDeadline)
			return 0
		}
	} else if exitSynced && exitResult < 0 {
		klog.Print("unikgen: exit: syncing the volumes failed: errno ")
		klog.Dec(-exitResult)
		klog.Print("\n")
	}
	platform.Exit(int(r.RDI))
	return 0
}

// exitSyncDone applies the file service's answer to the exit flush: thread runs exit_group again,
// which powers off. A late answer (after the deadline) finds the thread gone and changes nothing.
func exitSyncDone(thread int, result int64) {
	exitSynced, exitResult = true, result
	sched.WakeRestartNext(thread)
}

// Offsets in the Go runtime's structures (linux/amd64; src/runtime/runtime2.go, where they are
// marked as known to the linker, so they do not move): the g of a thread is at -8 from its FS
// base (the TLS slot runtime.tlsg), g.m is at 48, m.g0 at 0.
const (
	goTLSG = 8
	goGM   = 48
	goMG0  = 0
)

// goCrashing reports whether thread t runs on its M's g0 stack. The Go runtime's fatal paths (an
// unrecovered panic, a fatal error: fatalpanic and fatalthrow) call exit_group there, after
// stopping every other goroutine (runtime.freezetheworld): the file service could not answer, so
// the exit does not wait for it. os.Exit and a return from main exit on a goroutine's stack.
func goCrashing(t *sched.Thread) bool {
	fs := uintptr(t.FSBase)
	if fs < 4096+goTLSG || !mm.Accessible(fs-goTLSG, false) {
		return false
	}
	g := uintptr(*arch.U64(fs - goTLSG))
	if g < 4096 || !mm.Accessible(g+goGM, false) {
		return false
	}
	m := uintptr(*arch.U64(g + goGM))
	if m < 4096 || !mm.Accessible(m+goMG0, false) {
		return false
	}
	return uintptr(*arch.U64(m + goMG0)) == g
}
