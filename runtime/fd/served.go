package fd

// This file implements the kernel's part of served files: descriptors whose calls the relay server
// runs in program context (runtime/relay), and their readiness.
//
// Readiness of a served object is kept here so that epoll never has to ask the server. It changes
// two ways. The server reports the object's readiness with every completion of a call on it
// (Completed), which may clear bits (a read that drained the data clears EPOLLIN); and the
// object's own event callbacks report new events as they happen (Notify), which set bits and
// make an edge for edge-triggered epoll. A completion computed before a notification must not
// clear what the notification set, so each notification counts in seq, a call carries the count
// it was queued with, and a completion clears bits only when no notification came in between.

import (
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

type served struct {
	file  int32  // index into files plus one; 0 while no descriptor refers to the object
	ready uint32 // epoll bits
	seq   uint32 // notifications so far
}

var objs [wire.MaxObjects]served

// Served reports whether descriptor fd refers to a served object, and returns the object, the
// open file's status flags and the object's notification count, for forwarding a call.
func Served(fd int) (obj int32, flags uint32, seq uint32, ok bool) {
	f := get(fd)
	if f == nil || f.kind != kindServed {
		return 0, 0, 0, false
	}
	return f.obj, uint32(f.flags), objs[f.obj].seq, true
}

// Blocking reports whether the served object obj has an open file in blocking mode.
func Blocking(obj int32) bool {
	if obj < 0 || int(obj) >= len(objs) || objs[obj].file == 0 {
		return false
	}
	return files[objs[obj].file-1].flags&oNONBLOCK == 0
}

// FileOf returns the index of the open file of served object obj, or -1.
func FileOf(obj int32) int {
	if obj < 0 || int(obj) >= len(objs) {
		return -1
	}
	return int(objs[obj].file) - 1
}

// Install makes a descriptor, at the lowest free number, for the served object obj, with the
// status flags flags (O_NONBLOCK, access mode) and O_CLOEXEC. pollable is false for regular
// files and directories. ready is the object's readiness.
func Install(obj int32, flags int, pollable bool, ready uint32) int64 {
	if obj < 0 || int(obj) >= len(objs) || objs[obj].file != 0 {
		return -eINVAL
	}
	fd := open(kindServed, obj, flags)
	if fd < 0 {
		return fd
	}
	f, i := fileOf(int(fd))
	f.pollable = pollable
	o := &objs[obj]
	o.file = int32(i + 1)
	o.ready |= ready
	return fd
}

// Completed records the readiness that the server computed after a call on obj that was queued
// when the object's notification count was seq.
func Completed(obj int32, ready, seq uint32) {
	if obj < 0 || int(obj) >= len(objs) {
		return
	}
	o := &objs[obj]
	old := o.ready
	if o.seq == seq {
		o.ready = ready
	} else {
		o.ready |= ready
	}
	if o.ready&^old != 0 && o.file != 0 {
		changed(int(o.file - 1))
	}
}

// Notify records events that happened on obj (relay_notify, from the object's callbacks).
func Notify(obj int32, events uint32) int64 {
	if obj < 0 || int(obj) >= len(objs) {
		return -eINVAL
	}
	o := &objs[obj]
	o.ready |= events
	o.seq++
	if o.file != 0 {
		changed(int(o.file - 1))
	}
	return 0
}

// releaseServed tells the server that the last descriptor of obj is gone.
func releaseServed(obj int32) {
	objs[obj] = served{}
	relay.Notify(wire.OpRelease, obj)
}

func servedReady(f *file) uint32 { return objs[f.obj].ready }

// ReadyOf returns the readiness of served object obj.
func ReadyOf(obj int32) uint32 {
	if obj < 0 || int(obj) >= len(objs) {
		return 0
	}
	return objs[obj].ready
}
