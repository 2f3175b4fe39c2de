// This file implements a fake xenstored that a backend and several goroutines can share.

package xentest

import (
	"fmt"
	"sync"
)

// Bus is a fake xenstored for domain 1 whose hooks also run a backend step: after each step of
// the daemon, Step (if set) looks at the store and plays the backend's part (changing its state,
// reading the frontend's keys). The daemon, Step and the test's own accesses (Do) are serialised,
// so a client used from several goroutines (the xenbus dispatcher) stays race-free.
type Bus struct {
	mu    sync.Mutex
	store *Store
	step  func(s *Store)
}

// NewBus returns a bus around a new Store of domain 1.
func NewBus() *Bus { return &Bus{store: NewStore(1)} }

// Addr returns the address of the xenstore page, for xenstore.Setup.
func (b *Bus) Addr() uintptr { return b.store.Addr() }

// Notify is the client's notify hook.
func (b *Bus) Notify(port uint32) { b.run(b.store.Notify, port) }

// Wait is the client's wait hook.
func (b *Bus) Wait(port uint32) { b.run(b.store.Wait, port) }

func (b *Bus) run(f func(uint32), port uint32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(port)
	if b.step != nil {
		b.step(b.store)
	}
}

// SetStep sets the backend's step (nil: none).
func (b *Bus) SetStep(step func(s *Store)) {
	b.mu.Lock()
	b.step = step
	b.mu.Unlock()
}

// Do runs f on the store, serialised with the daemon.
func (b *Bus) Do(f func(s *Store)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(b.store)
}

// Get returns a node's value.
func (b *Bus) Get(path string) string {
	var v string
	b.Do(func(s *Store) { v, _ = s.Get(path) })
	return v
}

// Set sets a node, as the toolstack or a backend would.
func (b *Bus) Set(path, value string) { b.Do(func(s *Store) { s.Set(path, value) }) }

// AddDevice creates the directories the toolstack makes for device kind/id of domain 1, with the
// backend in domain 0 at state backendState, and returns the backend's path.
func (b *Bus) AddDevice(kind, id string, backendState int) string {
	be := "/local/domain/0/backend/" + kind + "/1/" + id
	fe := "device/" + kind + "/" + id
	b.Do(func(s *Store) {
		s.Set(fe+"/backend", be)
		s.Set(fe+"/backend-id", "0")
		s.Set(fe+"/state", "1")
		s.Set(be+"/state", fmt.Sprint(backendState))
		s.Set(be+"/frontend", s.Home+"/"+fe)
		s.Set(be+"/frontend-id", "1")
	})
	return be
}
