// This file implements the non-allocating operations for kernel context.

package xenstore

import (
	"syscall"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
)

// ExitStatusPath is where WriteExitStatus records the program's exit status, relative to the
// domain's home: /local/domain/<domid>/data/exit-status.
const ExitStatusPath = "data/exit-status"

// Put writes value at path without allocating. It returns EBUSY, without waiting, when another
// operation holds the ring (kernel code cannot wait for it).
func Put(path string, value []byte) syscall.Errno {
	if !busy.CompareAndSwap(0, 1) {
		return syscall.EBUSY
	}
	e := put(path, value)
	busy.Store(0)
	return e
}

// Get reads the value at path into buf without allocating and returns its length; a value longer
// than buf is truncated (n is then the full length). EBUSY as for Put.
func Get(path string, buf []byte) (n int, e syscall.Errno) {
	if !busy.CompareAndSwap(0, 1) {
		return 0, syscall.EBUSY
	}
	e = syscall.E2BIG
	if msg, ok := wire.EncodePath(txbuf[:], wire.Read, nextID(), 0, path); ok {
		var pl []byte
		if pl, e = roundTrip(msg); e == 0 {
			copy(buf, pl)
			n = len(pl)
		}
	}
	busy.Store(0)
	return n, e
}

// WriteExitStatus writes status in decimal to ExitStatusPath, where the host can read it
// (`xenstore-read /local/domain/<domid>/data/exit-status`, or a watch, while the domain exists).
// It does not allocate.
//
// It is the ring's last operation: the domain powers off after it. When another thread holds the
// ring (a user-context operation, such as a frontend's watcher disconnecting from its backend,
// that the exit stopped half way: that thread never runs again), it takes the ring over instead
// of answering EBUSY (takeOver): it sends the rest of that thread's request, then its own, and
// skips the abandoned reply on the way to its own. Its waits are the client's, bounded by
// MaxStalls (about 5 s with evtchn.Wait); the console's status line is the fallback when it
// fails. After a hand-over the user API answers EIO: the abandoned operation's state is gone.
func WriteExitStatus(status int) syscall.Errno {
	var digits [21]byte
	n := 0
	v := uint64(status)
	if status < 0 {
		digits[0] = '-'
		n = 1
		v = uint64(-int64(status))
	}
	n += len(wire.AppendUint(digits[n:], v))
	if ring == 0 {
		return syscall.ENOTCONN
	}
	if busy.CompareAndSwap(0, 1) {
		e := put(ExitStatusPath, digits[:n])
		busy.Store(0)
		return e
	}
	if e := takeOver(); e != 0 {
		return e
	}
	e := put(ExitStatusPath, digits[:n])
	broken = true
	return e
}

// put writes value at path; the caller holds the ring.
func put(path string, value []byte) syscall.Errno {
	msg, ok := wire.EncodeWrite(txbuf[:], nextID(), 0, path, value)
	if !ok {
		return syscall.E2BIG
	}
	_, e := roundTrip(msg)
	return e
}

// takeOver continues, in place of the thread that holds the ring and will not run again, the
// operation it left at any instruction: it sends the rest of its request (txbuf[:txLen], from
// req_prod - txStart on) and makes rd hold the rsp_cons - rspStart bytes of the reply (or watch
// event) that thread had taken, so that the next roundTrip reads on from there and drops that
// reply by its req_id.
func takeOver() syscall.Errno {
	if broken {
		return syscall.EIO
	}
	if txLen != 0 {
		if e := pushRequest(); e != 0 {
			broken = true
			return e
		}
		txLen = 0
	}
	got := hw.Load32(ring+OffRspCons) - rspStart
	if got > wire.MaxMessage || rd.Restore(int(got)) != 0 {
		broken = true
		return syscall.EIO
	}
	return 0
}
