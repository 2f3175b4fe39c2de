package xenbus

// This file implements the life of a connected frontend device, which every frontend driver
// (netfront, blkfront) shares: it goes down once, for the first reason given, when its driver
// finds the device broken, when it is closed, or when the backend leaves Connected (xl
// network-detach, block-detach, a backend that dies).

import (
	"fmt"
	"sync"
	"time"
)

// A Lifetime is the up-or-down state of a frontend device. The zero value is not usable: call
// Start once the device is connected.
type Lifetime struct {
	fe       *Frontend
	driver   string // "netfront", for messages
	watching sync.WaitGroup
	once     sync.Once
	down     chan struct{}
	mu       sync.Mutex
	err      error
}

// Init prepares l for the device of fe, whose driver is named driver in messages.
func (l *Lifetime) Init(fe *Frontend, driver string) {
	l.fe, l.driver, l.down = fe, driver, make(chan struct{})
}

// Watch starts watching the backend: when it leaves Connected, the device goes down and the
// frontend disconnects (waiting at most timeout for the backend to close).
func (l *Lifetime) Watch(timeout time.Duration) {
	l.watching.Add(1)
	go func() {
		defer l.watching.Done()
		for {
			select {
			case <-l.fe.Changes():
			case <-l.down:
				return
			}
			st, err := l.fe.BackendState()
			if err != nil {
				continue // a xenstore hiccup: look again at the next change
			}
			if st != Connected {
				l.Fail(fmt.Errorf("%s: %v: the backend %s went to %v: the device is gone", l.driver, l.fe, l.fe.Backend, st))
				l.fe.Disconnect(timeout)
				return
			}
		}
	}()
}

// Fail takes the device down with err; the first reason wins.
func (l *Lifetime) Fail(err error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.down)
	})
}

// Close takes the device down with err and waits until the watch has stopped. It does not
// disconnect from the backend.
func (l *Lifetime) Close(err error) {
	l.Fail(err)
	l.watching.Wait()
}

// Err returns why the device is down, or nil.
func (l *Lifetime) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Down returns a channel that is closed when the device goes down (Err says why).
func (l *Lifetime) Down() <-chan struct{} { return l.down }
