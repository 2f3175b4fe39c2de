// Package xenbus implements the frontend half of Xen's split-driver protocol on the xenstore
// client (drivers/xen/xenstore): finding the domain's devices under device/<type>, the frontend's
// state machine, and waiting for the backend's state.
//
// Reference: xen/include/public/io/xenbus.h (enum xenbus_state), docs/misc/xenstore-paths.pandoc
// (device/<type>/<id>/{backend,backend-id,state}), Xen 4.17; xen-pvh-abi.md §9.
//
// The toolstack creates a frontend directory device/<type>/<id> (vif/0, vbd/51712) with the
// backend's path and domain id, and the backend directory with its own state. Both ends then
// move through the xenbus states:
//
//	frontend                                   backend
//	Initialising (1)  ─ toolstack ──────────   Initialising, then InitWait (2) once its
//	                                           hotplug script ran
//	grant rings, allocate an event channel,
//	write ring-ref... and Initialised (3)      reads them, maps the rings, Connected (4)
//	or Connected (4)
//	Connected (4)                              Connected (4)
//	...
//	Closing (5) ◀── xl device-detach ───────   Closing (5)
//	Closed (6)  ─────────────────────────────▶ Closed (6), the toolstack removes both
//
// A Frontend checks its own transitions against that machine (Switch) and waits for the backend
// with WaitBackend, which watches the backend's state key: the watch's events are delivered by
// one dispatcher goroutine, woken by Kick (the composition root routes the xenstore event
// channel to it) or, as a fallback, every DispatchInterval.
package xenbus

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/evtchn"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
)

// State is a xenbus state (enum xenbus_state).
type State int

// The states.
const (
	Unknown       State = 0
	Initialising  State = 1
	InitWait      State = 2
	Initialised   State = 3
	Connected     State = 4
	Closing       State = 5
	Closed        State = 6
	Reconfiguring State = 7
	Reconfigured  State = 8
)

var stateNames = [...]string{"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return fmt.Sprintf("%s (%d)", stateNames[s], int(s))
	}
	return fmt.Sprintf("state %d", int(s))
}

// ParseState reads a state key's value (a decimal number).
func ParseState(v string) (State, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > int(Reconfigured) {
		return Unknown, fmt.Errorf("not a xenbus state: %q", v)
	}
	return State(n), nil
}

// CanSwitch reports whether a frontend may go from state from to state to: forward through
// Initialising, Initialised, Connected, Closing and Closed (skipping steps is allowed: netfront
// goes from Initialising to Connected), Closing or Closed from any state, and Initialising again
// after Closed (a reconnection).
func CanSwitch(from, to State) bool {
	switch {
	case to == Closing || to == Closed:
		return from != Closed || to == Closed
	case from == Closed:
		return to == Initialising
	case from == Closing:
		return false
	}
	order := func(s State) int {
		switch s {
		case Unknown:
			return 0
		case Initialising:
			return 1
		case Initialised:
			return 2
		case Connected:
			return 3
		}
		return -1 // InitWait and Reconfiguring/Reconfigured are backend states
	}
	a, b := order(from), order(to)
	return a >= 0 && b > a
}

// Events are the event-channel operations of a frontend: evtchn's by default, a fake in tests.
type Events interface {
	// AllocUnbound allocates a port that domain remote can bind.
	AllocUnbound(remote uint16) (uint32, error)
	// Notify signals the other end of port.
	Notify(port uint32)
	// Close closes port.
	Close(port uint32)
}

// XenEvents are the hypervisor's event channels (package evtchn).
type XenEvents struct{}

// AllocUnbound implements Events.
func (XenEvents) AllocUnbound(remote uint16) (uint32, error) {
	port, rc := evtchn.AllocUnbound(remote)
	if rc < 0 {
		return 0, fmt.Errorf("EVTCHNOP_alloc_unbound for domain %d: %w", remote, syscall.Errno(-rc))
	}
	evtchn.Unmask(port)
	return port, nil
}

// Notify implements Events.
func (XenEvents) Notify(port uint32) { evtchn.Send(port) }

// Close implements Events.
func (XenEvents) Close(port uint32) { evtchn.Close(port) }

// Devices returns the ids of the domain's devices of type kind (the names under device/<kind>:
// "0" for vif 0, "51712" for xvda), in numeric order. A domain without such devices has none.
func Devices(kind string) ([]string, error) {
	names, err := xenstore.Directory("device/" + kind)
	if errors.Is(err, syscall.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("xenbus: listing device/%s: %w", kind, err)
	}
	slices.SortFunc(names, func(a, b string) int {
		x, errx := strconv.ParseUint(a, 10, 64)
		y, erry := strconv.ParseUint(b, 10, 64)
		if errx == nil && erry == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		if a < b {
			return -1
		} else if a > b {
			return 1
		}
		return 0
	})
	return names, nil
}

// A Frontend is this domain's end of one device.
type Frontend struct {
	Kind, ID string
	// Path is the frontend directory, relative to the domain's home: device/vif/0.
	Path string
	// Backend is the backend directory (absolute), BackendID its domain.
	Backend   string
	BackendID uint16
	// Events are the event-channel operations (XenEvents unless a test sets others).
	Events Events

	mu      sync.Mutex
	state   State
	token   string
	changes chan struct{}
	closed  bool
}

// Open reads device/<kind>/<id>'s backend keys, sets the frontend's state to Initialising and
// watches the backend's state.
func Open(kind, id string) (*Frontend, error) {
	f := &Frontend{Kind: kind, ID: id, Path: "device/" + kind + "/" + id, Events: XenEvents{}}
	var err error
	if f.Backend, err = f.Read("backend"); err != nil {
		return nil, err
	}
	if f.Backend == "" || f.Backend[0] != '/' {
		return nil, fmt.Errorf("xenbus: %s/backend is %q, not an absolute xenstore path", f.Path, f.Backend)
	}
	bid, err := f.ReadUint("backend-id", 0xfff0)
	if err != nil {
		return nil, err
	}
	f.BackendID = uint16(bid)
	if s, err := f.ReadState(); err == nil {
		f.state = s
	}
	if err := f.Switch(Initialising); err != nil {
		return nil, err
	}
	f.token = "unikgen-xenbus:" + f.Path
	f.changes = subscribe(f.token)
	if err := xenstore.Watch(f.Backend+"/state", f.token); err != nil {
		unsubscribe(f.token)
		return nil, fmt.Errorf("xenbus: watching %s/state: %w", f.Backend, err)
	}
	return f, nil
}

// String names the device for messages: "vif 0".
func (f *Frontend) String() string { return f.Kind + " " + f.ID }

// Read returns the value of key in the frontend directory.
func (f *Frontend) Read(key string) (string, error) {
	v, err := xenstore.Read(f.Path + "/" + key)
	if err != nil {
		return "", fmt.Errorf("xenbus: reading %s/%s: %w", f.Path, key, err)
	}
	return v, nil
}

// ReadUint returns the decimal value of key in the frontend directory, which must be at most max.
func (f *Frontend) ReadUint(key string, max uint64) (uint64, error) {
	v, err := f.Read(key)
	if err != nil {
		return 0, err
	}
	return parseUint(f.Path+"/"+key, v, max)
}

// ReadBackend returns the value of key in the backend directory.
func (f *Frontend) ReadBackend(key string) (string, error) {
	v, err := xenstore.Read(f.Backend + "/" + key)
	if err != nil {
		return "", fmt.Errorf("xenbus: reading %s/%s: %w", f.Backend, key, err)
	}
	return v, nil
}

// ReadBackendUint returns the decimal value of key in the backend directory, which must be at
// most max; a missing key gives def.
func (f *Frontend) ReadBackendUint(key string, max, def uint64) (uint64, error) {
	v, err := xenstore.Read(f.Backend + "/" + key)
	if errors.Is(err, syscall.ENOENT) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("xenbus: reading %s/%s: %w", f.Backend, key, err)
	}
	return parseUint(f.Backend+"/"+key, v, max)
}

func parseUint(path, v string, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("xenbus: %s is %q: want a decimal number up to %d", path, v, max)
	}
	return n, nil
}

// ReadState returns the frontend's state as xenstore has it.
func (f *Frontend) ReadState() (State, error) {
	v, err := f.Read("state")
	if err != nil {
		return Unknown, err
	}
	s, err := ParseState(v)
	if err != nil {
		return Unknown, fmt.Errorf("xenbus: %s/state: %w", f.Path, err)
	}
	return s, nil
}

// State returns the state the frontend last switched to.
func (f *Frontend) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// Switch moves the frontend to state to (writing its state key), if the state machine allows it
// (CanSwitch); switching to the current state does nothing.
func (f *Frontend) Switch(to State) error { return f.Publish(to) }

// Publish writes the keys (key, value, key, value...) into the frontend directory and switches
// to state to, in one transaction: the backend, which acts on the state, sees the keys with it.
func (f *Frontend) Publish(to State, kv ...string) error {
	if len(kv)%2 != 0 {
		return fmt.Errorf("xenbus: Publish(%v) with an odd number of key and value strings", to)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	from := f.state
	if from == to && len(kv) == 0 {
		return nil
	}
	if from != to && !CanSwitch(from, to) {
		return fmt.Errorf("xenbus: %s: the frontend cannot go from %v to %v", f.Path, from, to)
	}
	err := xenstore.Transaction(func(tx xenstore.Tx) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Write(f.Path+"/"+kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		return tx.Write(f.Path+"/state", strconv.Itoa(int(to)))
	})
	if err != nil {
		return fmt.Errorf("xenbus: %s: switching to %v: %w", f.Path, to, err)
	}
	f.state = to
	return nil
}

// BackendState returns the backend's state. A backend directory that no longer exists (the
// toolstack removed the device) reads as Closed.
func (f *Frontend) BackendState() (State, error) {
	v, err := xenstore.Read(f.Backend + "/state")
	if errors.Is(err, syscall.ENOENT) {
		return Closed, nil
	}
	if err != nil {
		return Unknown, fmt.Errorf("xenbus: reading %s/state: %w", f.Backend, err)
	}
	s, err := ParseState(v)
	if err != nil {
		return Unknown, fmt.Errorf("xenbus: %s/state: %w", f.Backend, err)
	}
	return s, nil
}

// Changes returns a channel that receives (at most one pending value) whenever the backend's
// state key may have changed: read it with BackendState.
func (f *Frontend) Changes() <-chan struct{} { return f.changes }

// A StateError says that the backend went somewhere the frontend did not wait for.
type StateError struct {
	Device  string // the frontend path
	Backend string // the backend path
	State   State  // where the backend is
	Want    []State
	Timeout time.Duration // non-zero when the backend did not get there in time
}

func (e *StateError) Error() string {
	if e.Timeout != 0 {
		return fmt.Sprintf("xenbus: %s: the backend %s is still %v after %v, waiting for %v",
			e.Device, e.Backend, e.State, e.Timeout, e.Want)
	}
	return fmt.Sprintf("xenbus: %s: the backend %s went to %v while the frontend waited for %v",
		e.Device, e.Backend, e.State, e.Want)
}

// PollInterval is how often WaitBackend reads the backend's state when no watch event came.
var PollInterval = 250 * time.Millisecond

// WaitBackend waits until the backend is in one of the states want and returns it. A backend
// that goes to Closing or Closed (when not wanted) or stays elsewhere for longer than timeout
// ends the wait with a *StateError.
func (f *Frontend) WaitBackend(timeout time.Duration, want ...State) (State, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := f.BackendState()
		if err != nil {
			return s, err
		}
		if slices.Contains(want, s) {
			return s, nil
		}
		if s == Closing || s == Closed {
			return s, &StateError{Device: f.Path, Backend: f.Backend, State: s, Want: want}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return s, &StateError{Device: f.Path, Backend: f.Backend, State: s, Want: want, Timeout: timeout}
		}
		t := time.NewTimer(min(left, PollInterval))
		select {
		case <-f.changes:
		case <-t.C:
		}
		t.Stop()
	}
}

// Close ends the watch on the backend's state. It does not change the frontend's state.
func (f *Frontend) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	unsubscribe(f.token)
	return xenstore.Unwatch(f.Backend+"/state", f.token)
}

// Disconnect answers a backend that is closing: the frontend goes to Closing, waits up to
// timeout for the backend to reach Closing or Closed, then goes to Closed (the toolstack then
// removes the device).
func (f *Frontend) Disconnect(timeout time.Duration) error {
	if f.State() != Closed {
		if err := f.Switch(Closing); err != nil {
			return err
		}
	}
	_, werr := f.WaitBackend(timeout, Closing, Closed)
	if err := f.Switch(Closed); err != nil {
		return err
	}
	return werr
}
