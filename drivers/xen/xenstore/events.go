// This file implements the queue of watch events.

package xenstore

import "github.com/unikgen/unikgen/drivers/xen/xenstore/wire"

// Watch event queue capacity: events beyond EventSlots waiting, or with a payload (path\0token\0)
// longer than EventSlotSize, are dropped and counted (DroppedEvents).
const (
	EventSlots    = 16
	EventSlotSize = 1024
)

// eventQueue is a fixed ring of WATCH_EVENT payloads, pointer-free; accessed with busy held.
type eventQueue struct {
	data       [EventSlots][EventSlotSize]byte
	lens       [EventSlots]uint16
	head, tail uint32
	dropped    uint64
}

var evq eventQueue

func (q *eventQueue) reset() { q.head, q.tail, q.dropped = 0, 0, 0 }

func (q *eventQueue) push(payload []byte) {
	if q.tail-q.head >= EventSlots || len(payload) > EventSlotSize {
		q.dropped++
		return
	}
	i := q.tail % EventSlots
	q.lens[i] = uint16(copy(q.data[i][:], payload))
	q.tail++
}

// pop returns the oldest payload (valid until the slot is reused) and removes it.
func (q *eventQueue) pop() ([]byte, bool) {
	if q.head == q.tail {
		return nil, false
	}
	i := q.head % EventSlots
	q.head++
	return q.data[i][:q.lens[i]], true
}

// Event is a watch firing: the path that changed (relative when the watch was registered with a
// relative path) and the watch's token.
type Event struct {
	Path  string
	Token string
}

func eventOf(payload []byte) Event {
	path, token, _ := wire.ParseWatchEvent(payload)
	return Event{Path: string(path), Token: string(token)}
}

// DroppedEvents returns the number of watch events lost to a full queue or an oversized payload.
func DroppedEvents() uint64 {
	lockUser()
	n := evq.dropped
	unlockUser()
	return n
}

// PollEvent returns the oldest queued watch event, first collecting any that the daemon has
// sent; ok is false when none is waiting. It does not wait, except to complete a message that
// has started to arrive.
func PollEvent() (ev Event, ok bool) {
	lockUser()
	defer unlockUser()
	if ring == 0 {
		return Event{}, false
	}
	if e, ok := pollLocked(); ok {
		return e, true
	}
	return Event{}, false
}

func pollLocked() (Event, bool) {
	for {
		if p, ok := evq.pop(); ok {
			return eventOf(p), true
		}
		if broken {
			return Event{}, false
		}
		got, e := receive(false)
		if e != 0 || !got {
			return Event{}, false
		}
		if h, pl := rd.Message(); h.Type() == wire.WatchEvent {
			evq.push(pl)
		} // anything else is a stale reply: drop it
	}
}

// WaitEvent blocks until a watch event arrives and returns it.
func WaitEvent() (Event, error) {
	for {
		lockUser()
		if ring == 0 || broken {
			unlockUser()
			return Event{}, errNotReady()
		}
		ev, ok := pollLocked()
		unlockUser()
		if ok {
			return ev, nil
		}
		wait(port)
	}
}
