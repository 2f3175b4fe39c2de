// This file implements the non-allocating operations for kernel context.

package xenstore

import (
	"syscall"

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
	e := syscall.E2BIG
	if msg, ok := wire.EncodeWrite(txbuf[:], nextID(), 0, path, value); ok {
		_, e = roundTrip(msg)
	}
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
	return Put(ExitStatusPath, digits[:n])
}
