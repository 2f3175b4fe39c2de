// Package console is the program's console inside the kernel: the input that descriptors 0, 1
// and 2 read (runtime/fd implements the descriptors), and the device that the program's standard
// output and error go to.
//
// Input. The platform's console device (QEMU: the 16550's receive interrupt; Xen: the PV
// console's input ring) hands received bytes to Feed in interrupt context. They are in the
// format of runtime/console/wire: Feed decodes them into a buffer of InputSize bytes, from which
// Read copies. The end mark makes Read return end of file from then on. When the buffer is full
// the device stops taking input (the host then waits: a UART's FIFO and a console ring hold the
// rest); Read calls the device's pull function when it makes room, so that input flows again. A
// kernel without an input device reads end of file at once.
//
// Output. The program's writes to its console go to the device installed with SetOutput (QEMU:
// a virtio console port, drivers/virtio/console), or, without one, to the kernel's own console
// (runtime/klog: the UART on QEMU, the PV console on Xen). The device may be full: Write then
// takes nothing, and the caller waits (ArmOutput) until the device reports room (Changed).
//
// Kernel context: no allocation, pointer-free state (the device hooks are func values installed
// once at boot). The kernel runs with interrupts off on one CPU, so nothing here needs locking.
package console

import (
	"github.com/unikgen/unikgen/runtime/console/wire"
	"github.com/unikgen/unikgen/runtime/klog"
)

// InputSize is the size of the input buffer.
const InputSize = 16 << 10

var (
	in              [InputSize]byte
	inRead, inWrite uint32 // free-running indices into in
	dec             wire.Decoder
	hasInput        bool   // an input device is installed
	pull            func() // asks the input device for more (Read made room)

	write     func(b []byte) int // the output device, or nil for klog
	armOutput func() bool

	changed func() // runtime/fd: readiness of the console changed
)

// SetInput tells the console that the platform has an input device, which calls Feed with what
// it receives; pull, when not nil, is called after Read made room in the buffer. Call at boot.
func SetInput(pullFn func()) {
	hasInput, pull = true, pullFn
}

// SetOutput installs the device for the program's output. w writes a prefix of b and returns
// its length; it returns 0 when it cannot take min(len(b), its capacity) bytes now (so that a
// write of a line is never split). arm asks the device to report room with an interrupt (the
// device's handler then calls Changed); it returns false when there is room already. Call at
// boot.
func SetOutput(w func(b []byte) int, arm func() bool) {
	write, armOutput = w, arm
}

// SetChanged installs the function that Feed and Changed call when the console's readiness
// changed: input arrived or ended, or the output device has room. Call at boot.
func SetChanged(fn func()) { changed = fn }

// Changed reports that the console's readiness changed (output devices call it from their
// interrupt handler when they have room again).
func Changed() {
	if changed != nil {
		changed()
	}
}

// Room returns the free bytes of the input buffer. Devices take input only when it is at least
// 2 (one received byte decodes to at most two).
func Room() int { return InputSize - int(inWrite-inRead) }

// Ended reports whether input has ended: the end mark came, or there is no input device.
func Ended() bool { return !hasInput || dec.Ended() }

// Feed decodes received bytes into the input buffer and returns how many of b it took: fewer
// than len(b) when the buffer filled. It runs in interrupt context.
func Feed(b []byte) int {
	var tmp [256]byte
	took := 0
	before := inWrite
	ended := dec.Ended()
	for took < len(b) {
		room := Room()
		if room < 2 {
			break
		}
		nd, ns, r := dec.Decode(tmp[:min(room, len(tmp))], b[took:])
		took += ns
		put(tmp[:nd])
		if r == wire.Reset {
			inRead = inWrite // the start mark: drop what came before it
		}
		if ns == 0 {
			break
		}
	}
	if inWrite != before || dec.Ended() != ended {
		Changed()
	}
	return took
}

// put appends p to the input buffer, which has room for it.
func put(p []byte) {
	for len(p) > 0 {
		off := int(inWrite % InputSize)
		n := copy(in[off:], p)
		inWrite += uint32(n)
		p = p[n:]
	}
}

// Read copies buffered input into dst and returns the number of bytes; with none, eof says
// whether input has ended (else the caller waits for Changed or answers EAGAIN).
func Read(dst []byte) (n int, eof bool) {
	if inRead == inWrite && pull != nil {
		pull() // input the device holds but did not report (Xen: an event the output path took)
	}
	for n < len(dst) && inRead != inWrite {
		off := int(inRead % InputSize)
		end := min(InputSize, off+int(inWrite-inRead))
		c := copy(dst[n:], in[off:end])
		n += c
		inRead += uint32(c)
	}
	if n > 0 {
		if pull != nil {
			pull()
		}
		return n, false
	}
	return 0, Ended()
}

// Readable reports whether Read would return at once: input is buffered or has ended.
func Readable() bool { return inRead != inWrite || Ended() }

// Write writes b to the program's output device and returns the bytes taken; full is true when
// the device took nothing and the caller must wait (ArmOutput).
func Write(b []byte) (n int, full bool) {
	if write == nil {
		klog.Write(b)
		return len(b), false
	}
	n = write(b)
	return n, n == 0 && len(b) > 0
}

// ArmOutput asks the output device to report room with Changed; it returns false when the device
// has room already (the caller writes again instead of waiting).
func ArmOutput() bool {
	if armOutput == nil {
		return false
	}
	return armOutput()
}
