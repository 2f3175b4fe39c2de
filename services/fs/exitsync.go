package fs

// This file answers the kernel's flush at the program's exit (runtime/sys/exit.go): the kernel
// forwards exit_group(2), with no object, before it powers the machine off, and waits at most
// runtime/sys.ExitSyncBound for the answer.

import (
	"syscall"

	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/services/relay"
)

// A syncer is a file system that keeps changes in memory until they are synced: a volume
// (services/fs/extfs commits its journal, writes file data back and flushes the device).
type syncer interface{ Sync() error }

// registerExitSync installs the exit flush's handler on srv. The sync waits for devices, so it
// runs on a goroutine of its own and replies from there.
func (v *VFS) registerExitSync(srv *relay.Server) {
	srv.Handle(syscall.SYS_EXIT_GROUP, func(r *relay.Request) {
		d := r.Detach()
		go func() { d.Reply(-int64(errnoOf(v.SyncAll())), 0) }()
	})
	// The kernel's notice of an munmap of file mappings (mmap.go); nobody waits for it.
	srv.Handle(syscall.SYS_MUNMAP, func(r *relay.Request) {
		v.unmapped(uintptr(r.Args[0]), uintptr(r.Args[1]))
		r.Reply(0, 0)
	})
}

// wantExitSync tells the kernel that the exit must sync first, when a mounted file system keeps
// changes in memory (a volume).
func (v *VFS) wantExitSync(srv *relay.Server) {
	v.mu.Lock()
	want := false
	for _, m := range v.mounts {
		if _, ok := m.fs.(syncer); ok {
			want = true
		}
	}
	v.mu.Unlock()
	if want {
		srv.Notify(wire.ObjExitSync, 1)
	}
}

// SyncAll syncs every mounted file system that keeps changes in memory, each on the goroutine
// that serves its calls (after the calls queued before it). It returns the first error; the
// other file systems are synced all the same.
func (v *VFS) SyncAll() error {
	v.mu.Lock()
	mounts := append([]*mount(nil), v.mounts...)
	v.mu.Unlock()
	var first error
	for _, m := range mounts {
		s, ok := m.fs.(syncer)
		if !ok {
			continue
		}
		var err error
		if m.async == nil {
			err = s.Sync()
		} else {
			done := make(chan error, 1)
			m.async <- func() { done <- s.Sync() }
			err = <-done
		}
		if err != nil {
			logf("volume %s: sync at exit: %v", m.path, err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}
