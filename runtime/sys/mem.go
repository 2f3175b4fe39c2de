package sys

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sysno"
)

// mmap(2) flags and protections (include/uapi/asm-generic/mman-common.h).
const (
	mapShared    = 0x01
	mapPrivate   = 0x02
	mapFixed     = 0x10
	mapAnonymous = 0x20
	protWrite    = 0x2
	fGetfl       = 3
)

// Mmap implements mmap(2): anonymous mappings (runtime/mm), and read-only mappings of the file
// component's regular files (mmapFile).
func Mmap(r *sched.Regs) int64 {
	addr, length, prot, flags := uintptr(r.RDI), uintptr(r.RSI), int(r.RDX), int(r.R10)
	if flags&mapAnonymous == 0 && Files && relay.Running() {
		return mmapFile(r)
	}
	file := flags&mapFixed != 0 && mm.HasFile(addr, length)
	res := mm.Mmap(addr, length, prot, flags)
	if res >= 0 && file {
		unmapNotice(addr, length)
	}
	return res
}

// A pendingMap is a file mapping made while its thread waits for the file service to fill it.
type pendingMap struct {
	user, alias, length uintptr
}

var pendingMaps [sched.MaxThreads]pendingMap

// mmapFile maps a regular file read-only (PROT_READ, MAP_SHARED or MAP_PRIVATE): the kernel
// makes the mapping and its alias (mm.MapFile) and forwards the call to the file service with
// the alias's address in place of the descriptor; the service reads the file into the alias and
// keeps it equal to the file on later writes (services/fs/mmap.go). PROT_WRITE gets ENODEV: no
// file is mapped writable.
func mmapFile(r *sched.Regs) int64 {
	addr, length, prot, flags := uintptr(r.RDI), uintptr(r.RSI), int(r.RDX), int(r.R10)
	fdn, off := int(int32(r.R8)), r.R9
	obj, fflags, seq, ok := fd.Served(fdn)
	switch {
	case length == 0 || off&(mm.PageSize-1) != 0 || flags&(mapShared|mapPrivate) == 0:
		return -errno.EINVAL
	case !ok && fd.Fcntl(fdn, fGetfl, 0) < 0:
		return -errno.EBADF
	case !ok:
		return -errno.ENODEV // a console, an eventfd: not a file
	case prot&protWrite != 0:
		return -errno.ENODEV
	}
	replaced := flags&mapFixed != 0 && mm.HasFile(addr, length)
	user, alias, res := mm.MapFile(addr, length, prot, flags)
	if res < 0 {
		return res
	}
	if replaced { // before the new mapping's request: the service handles them in order
		unmapNotice(addr, length)
	}
	length = (length + mm.PageSize - 1) &^ (mm.PageSize - 1)
	pendingMaps[sched.Current()] = pendingMap{user, alias, length}
	args := [6]uint64{uint64(user), uint64(length), uint64(prot), uint64(flags), uint64(alias), uint64(off)}
	if !relay.Forward(sysno.SYS_MMAP, obj, fflags, seq, -1, args) {
		mm.Munmap(user, length)
		mm.Munmap(alias, length)
		return -errno.ENODEV
	}
	if sched.CurrentThread().Wait == sched.WaitRelaySlot {
		mm.Munmap(user, length) // the call runs again when a slot is free
		mm.Munmap(alias, length)
	}
	return 0
}

// mmapDone applies the file service's answer to a file mapping of thread: the mapping's address,
// or the error (the mapping and its alias are unmapped).
func mmapDone(thread int, result int64) int64 {
	p := pendingMaps[thread]
	if result < 0 {
		mm.Munmap(p.user, p.length)
		mm.Munmap(p.alias, p.length)
		return result
	}
	return int64(p.user)
}

// unmapNotice tells the file service that the program's file mappings in [addr, addr+length)
// are gone: it stops updating their aliases and unmaps them, which frees the frames.
func unmapNotice(addr, length uintptr) {
	relay.Notify(sysno.SYS_MUNMAP, -1, [6]uint64{uint64(addr), uint64(length)})
}

// Munmap implements munmap(2).
func Munmap(r *sched.Regs) int64 {
	addr, length := uintptr(r.RDI), uintptr(r.RSI)
	file := mm.HasFile(addr, length)
	res := mm.Munmap(addr, length)
	if res == 0 && file {
		unmapNotice(addr, length)
	}
	return res
}

// Mprotect implements mprotect(2).
func Mprotect(r *sched.Regs) int64 {
	return mm.Mprotect(uintptr(r.RDI), uintptr(r.RSI), int(r.RDX))
}

// Madvise implements madvise(2).
func Madvise(r *sched.Regs) int64 {
	return mm.Madvise(uintptr(r.RDI), uintptr(r.RSI), int(r.RDX))
}

// Brk reports that the data segment cannot grow; the Go runtime only uses mmap.
func Brk(r *sched.Regs) int64 { return 0 }
