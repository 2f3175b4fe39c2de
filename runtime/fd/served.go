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
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/relay/wire"
)

const afINET6 = 10

// served is the kernel's record of an object. Object numbers belong to the kernel: an object is
// used from AllocObj until its last descriptor closes (or, for a spare number a call did not use,
// FreeObj). A number may be reused at once after its release: requests reach the server in
// order, so the server always sees the release of the old object before anything about the new.
type served struct {
	used  bool
	known bool   // the server has reported the object's readiness at least once
	ring  int32  // index into rings plus one: a connected stream socket's ring pair
	file  int32  // index into files plus one; 0 while no descriptor refers to the object
	ready uint32 // epoll bits
	seq   uint32 // notifications so far

	// Sockets: the family, and the addresses the server reported (getsockname, getpeername).
	family              uint16
	localLen, remoteLen uint8
	local, remote       [wire.SockaddrMax]byte
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

// AllocObj reserves a free object number, or returns -1.
func AllocObj() int32 {
	for i := range objs {
		if !objs[i].used {
			objs[i] = served{used: true}
			return int32(i)
		}
	}
	return -1
}

// FreeObj gives back an object number that no descriptor refers to (a spare the call did not
// use).
func FreeObj(obj int32) {
	if obj >= 0 && int(obj) < len(objs) && objs[obj].file == 0 {
		objs[obj] = served{}
	}
}

// Install makes a descriptor, at the lowest free number, for the reserved object obj, with the
// status flags flags (O_NONBLOCK, access mode) and O_CLOEXEC. pollable is false for regular
// files and directories. ready is the object's readiness.
func Install(obj int32, flags int, pollable bool, ready uint32) int64 {
	if obj < 0 || int(obj) >= len(objs) || !objs[obj].used || objs[obj].file != 0 {
		return -errno.EINVAL
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
	o.known = true
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
		return -errno.EINVAL
	}
	o := &objs[obj]
	o.ready |= events
	o.known = true
	o.seq++
	if o.file != 0 {
		changed(int(o.file - 1))
	}
	return 0
}

// releaseServed tells the server that the last descriptor of obj is gone.
func releaseServed(obj int32) {
	detachRing(obj)
	objs[obj] = served{}
	relay.Notify(wire.OpRelease, obj, [6]uint64{})
}

// SetFamily records the address family of socket obj.
func SetFamily(obj int32, family uint16) { objs[obj].family = family }

// SetAddrs records the local and remote addresses of socket obj (relay_addr): n bytes each at
// the given addresses (a length of 0 means none: unbound, or not connected).
func SetAddrs(obj int32, local uintptr, nl int, remote uintptr, nr int) int64 {
	if obj < 0 || int(obj) >= len(objs) || !objs[obj].used || nl < 0 || nl > wire.SockaddrMax || nr < 0 || nr > wire.SockaddrMax {
		return -errno.EINVAL
	}
	o := &objs[obj]
	o.localLen, o.remoteLen = uint8(nl), uint8(nr)
	if nl > 0 {
		copy(o.local[:], arch.Bytes(local, uintptr(nl)))
	}
	if nr > 0 {
		copy(o.remote[:], arch.Bytes(remote, uintptr(nr)))
	}
	return 0
}

// Sockname implements getsockname(2) (peer false) and getpeername(2) for served descriptor fd,
// from the addresses the server reported: the caller's buffer at addr holds *lenAddr bytes; the
// address is truncated to it and *lenAddr set to the address's length, as on Linux.
func Sockname(fd int, peer bool, addr, lenAddr uintptr) int64 {
	f := get(fd)
	if f == nil {
		return -errno.EBADF
	}
	if f.kind != kindServed || objs[f.obj].family == 0 {
		return -errno.ENOTSOCK
	}
	o := &objs[f.obj]
	var b [wire.SockaddrMax]byte
	var n int
	switch {
	case peer && o.remoteLen == 0:
		return -errno.ENOTCONN
	case peer:
		b, n = o.remote, int(o.remoteLen)
	case o.localLen > 0:
		b, n = o.local, int(o.localLen)
	default: // not bound: the family's any address, port 0
		b[0], b[1] = byte(o.family), byte(o.family>>8)
		n = 16
		if o.family == afINET6 {
			n = 28
		}
	}
	if lenAddr < 4096 || addr < 4096 && addr != 0 {
		return -errno.EFAULT
	}
	have := int32(*arch.U32(lenAddr))
	if have < 0 {
		return -errno.EINVAL
	}
	if addr != 0 {
		copy(arch.Bytes(addr, uintptr(min(int(have), n))), b[:n])
	}
	*arch.U32(lenAddr) = uint32(n)
	return 0
}

func servedReady(f *file) uint32 {
	if r := ringOf(f.obj); r != nil {
		// Reading and writing go through the rings; the server's bits add hang-ups and errors.
		return r.ready() | objs[f.obj].ready&(epollERR|epollHUP)
	}
	return objs[f.obj].ready
}

// WouldBlock reports whether a non-blocking call on served descriptor fd that needs events
// (EPOLLIN to read or accept, EPOLLOUT to write) can be answered EAGAIN without asking the
// server: the object is pollable, the server has reported its readiness, and neither the events
// nor an error or hang-up are ready. Readiness only clears after the server found the object not
// ready with no event since, and an event arriving later makes an edge for epoll, so the caller
// parks and comes back, as on Linux.
func WouldBlock(fd int, events uint32) bool {
	f := get(fd)
	if f == nil || f.kind != kindServed || !f.pollable {
		return false
	}
	o := &objs[f.obj]
	if o.ring != 0 {
		return false // the ring decides (StreamRead, StreamWrite)
	}
	return o.known && o.ready&(events|epollERR|epollHUP|epollRDHUP) == 0
}

// ReadyOf returns the readiness of served object obj.
func ReadyOf(obj int32) uint32 {
	if obj < 0 || int(obj) >= len(objs) {
		return 0
	}
	return objs[obj].ready
}
