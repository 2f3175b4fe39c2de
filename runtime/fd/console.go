package fd

// This file implements the console descriptors (0, 1 and 2 at boot, and their duplicates): reads
// take the program's input from runtime/console, writes go to its output device.

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/console"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/sched"
)

// consoleRead reads console input: what is buffered, else end of file once input has ended, else
// EAGAIN on a non-blocking descriptor, else the thread waits until input arrives (a signal
// interrupts the wait with EINTR, as on a Linux terminal).
func consoleRead(f *file, i int, buf, n uintptr) int64 {
	if n == 0 {
		return 0
	}
	c, eof := console.Read(arch.Bytes(buf, n))
	switch {
	case c > 0:
		return int64(c)
	case eof:
		return 0
	case f.flags&oNONBLOCK != 0:
		return -errno.EAGAIN
	}
	blockOnFile(i)
	return 0
}

// consoleWrite writes to the console's output device. When the device is full the thread waits,
// not interruptibly, until it has room, and the call runs again (mayWait false: it returns 0
// instead). A write of up to the device's capacity is never split.
func consoleWrite(buf, n uintptr, mayWait bool) int64 {
	if n == 0 {
		return 0
	}
	for try := 0; try < 2; try++ {
		c, full := console.Write(arch.Bytes(buf, n))
		if !full {
			return int64(c)
		}
		if !mayWait {
			return 0
		}
		if console.ArmOutput() {
			sched.Block(sched.WaitConsole, 0, 0)
			return 0
		}
		// The device made room after all: write again.
	}
	sched.Block(sched.WaitConsole, 0, 0)
	return 0
}

// consoleChanged is runtime/console's notification: input arrived or ended, or the output
// device has room. It makes an edge for epoll on every console file and wakes the threads
// waiting to read or write.
func consoleChanged() {
	for i := range files {
		if files[i].kind == kindConsole && files[i].refs > 0 {
			changed(i)
		}
	}
	sched.WakeRestartAll(sched.WaitConsole)
}

// consoleReady returns the epoll readiness of a console file: writable always (a write waits for
// the device inside the kernel), readable when input is buffered or has ended.
func consoleReady() uint32 {
	if console.Readable() {
		return epollIN | epollOUT
	}
	return epollOUT
}
