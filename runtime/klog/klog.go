// Package klog prints kernel messages: fatal errors, fault reports and debug traces of the library
// OS. It formats without allocating, so it works from any kernel context, including trap handlers
// and the boot path before the Go runtime has started.
//
// Output goes to the console sink the platform installs with SetSink (the UART on QEMU, the PV
// console on Xen). Until a sink is installed, output is kept in a small buffer and replayed.
package klog

import "strconv"

// Sink writes console bytes. It is installed once during boot.
type Sink func(b []byte)

var (
	sink     Sink
	early    [4096]byte
	earlyLen int
	// fmtBuf holds formatted text on its way to the sink. A buffer on the stack would escape
	// (the sink is called indirectly) and so be allocated: not possible in kernel context. The
	// kernel runs on one CPU with interrupts off, so one buffer suffices.
	fmtBuf [128]byte
)

// SetSink installs the console sink and replays what was printed before it.
func SetSink(s Sink) {
	sink = s
	if earlyLen > 0 {
		s(early[:earlyLen])
		earlyLen = 0
	}
}

// Write sends b to the console.
func Write(b []byte) {
	if sink != nil {
		sink(b)
		return
	}
	earlyLen += copy(early[earlyLen:], b)
}

// Print writes s.
func Print(s string) {
	for len(s) > 0 {
		n := copy(fmtBuf[:], s)
		Write(fmtBuf[:n])
		s = s[n:]
	}
}

// Hex writes v as 0x followed by hexadecimal digits.
func Hex(v uint64) {
	buf := fmtBuf[:18]
	i := len(buf)
	for {
		i--
		buf[i] = "0123456789abcdef"[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	i--
	buf[i] = 'x'
	i--
	buf[i] = '0'
	Write(buf[i:])
}

// Dec writes v in decimal.
func Dec(v int64) {
	Write(FormatDec(fmtBuf[:20], v))
}

// FormatDec formats v in decimal into buf (at least 20 bytes) and returns the digits. It does not
// allocate when buf is large enough.
func FormatDec(buf []byte, v int64) []byte { return strconv.AppendInt(buf[:0], v, 10) }
