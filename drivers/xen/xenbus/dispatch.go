package xenbus

// This file implements the watch dispatcher: one goroutine takes the watch events that the
// xenstore client queued and wakes the frontend whose token they carry.

import (
	"sync"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/xenstore"
)

// DispatchInterval is how often the dispatcher looks for watch events without being kicked.
// Looking costs two loads from the xenstore page when nothing arrived.
var DispatchInterval = 100 * time.Millisecond

var bus struct {
	mu      sync.Mutex
	subs    map[string]chan struct{}
	kick    chan struct{}
	started bool
	quit    chan struct{} // closed by stopDispatcher (tests)
	done    chan struct{} // closed when the dispatcher returned
}

// Kick wakes the dispatcher: call it when the xenstore event channel fires. It never blocks
// (the relay server may call it).
func Kick() {
	bus.mu.Lock()
	k := bus.kick
	bus.mu.Unlock()
	if k != nil {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// subscribe returns the channel on which events for token arrive, starting the dispatcher on
// first use.
func subscribe(token string) chan struct{} {
	bus.mu.Lock()
	defer bus.mu.Unlock()
	if bus.subs == nil {
		bus.subs = map[string]chan struct{}{}
		bus.kick = make(chan struct{}, 1)
	}
	c := make(chan struct{}, 1)
	bus.subs[token] = c
	if !bus.started {
		bus.started = true
		bus.quit, bus.done = make(chan struct{}), make(chan struct{})
		go dispatch(bus.kick, bus.quit, bus.done, DispatchInterval)
	}
	return c
}

func unsubscribe(token string) {
	bus.mu.Lock()
	delete(bus.subs, token)
	bus.mu.Unlock()
}

// Reset ends the dispatcher goroutine and forgets the subscriptions: for tests, before they set
// the xenstore client up anew.
func Reset() {
	bus.mu.Lock()
	quit, done := bus.quit, bus.done
	bus.started, bus.subs, bus.kick, bus.quit, bus.done = false, nil, nil, nil, nil
	bus.mu.Unlock()
	if quit != nil {
		close(quit)
		<-done
	}
}

func dispatch(kick, quit <-chan struct{}, done chan<- struct{}, interval time.Duration) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			ev, ok := xenstore.PollEvent()
			if !ok {
				break
			}
			bus.mu.Lock()
			c := bus.subs[ev.Token]
			bus.mu.Unlock()
			if c != nil {
				select {
				case c <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-kick:
		case <-t.C:
		case <-quit:
			return
		}
	}
}
