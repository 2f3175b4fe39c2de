// Package uart16550 drives a National Semiconductor PC16550D-compatible UART through x86 I/O ports:
// the serial console of QEMU's PC, q35 and microvm machines (COM1 at port 0x3f8).
//
// Reference: PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs, National Semiconductor,
// June 1995: register map (table 2), line status register (§8.6.3).
//
// Output polls the transmitter; input is interrupt-driven: the kernel enables the receive
// interrupt (ier bit 0, "received data available", which in FIFO mode also covers the character
// timeout of §8.6.2) and reads the FIFO in its handler. Everything runs in kernel context (no
// allocation).
package uart16550

import "github.com/unikgen/unikgen/runtime/arch"

// COM1 is the I/O base of the first PC serial port.
const COM1 = 0x3f8

// Register offsets from the I/O base (DLAB = 0 unless noted).
const (
	regTHR = 0 // transmit holding register (write)
	regRBR = 0 // receive buffer register (read)
	regDLL = 0 // divisor latch low (DLAB = 1)
	regIER = 1 // interrupt enable
	regDLM = 1 // divisor latch high (DLAB = 1)
	regFCR = 2 // FIFO control (write)
	regLCR = 3 // line control
	regMCR = 4 // modem control
	regLSR = 5 // line status
	regSCR = 7 // scratch
)

// Interrupt enable bits.
const ierReceive = 1 << 0 // received data available (and, with FIFOs, character timeout)

// Line status register bits.
const (
	lsrDataReady = 1 << 0
	lsrTHREmpty  = 1 << 5
)

// Present reports whether a UART answers at base: its scratch register keeps what is written to
// it (a missing device reads as all ones).
func Present(base uint16) bool {
	arch.Outb(base+regSCR, 0x5a)
	if arch.Inb(base+regSCR) != 0x5a {
		return false
	}
	arch.Outb(base+regSCR, 0xa5)
	return arch.Inb(base+regSCR) == 0xa5
}

// Init programs the UART at base for 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on
// (receive interrupt at 14 bytes), interrupts off. OUT2 is set: on a PC it connects the UART's
// interrupt line to the interrupt controller.
func Init(base uint16) {
	arch.Outb(base+regIER, 0x00)
	arch.Outb(base+regLCR, 0x80) // DLAB
	arch.Outb(base+regDLL, 0x01) // 115200 = 1843200 / (16 * 1)
	arch.Outb(base+regDLM, 0x00)
	arch.Outb(base+regLCR, 0x03) // 8N1
	arch.Outb(base+regFCR, 0xC7) // enable and clear FIFOs, 14-byte threshold
	arch.Outb(base+regMCR, 0x0b) // DTR, RTS, OUT2
}

// EnableReceive turns the receive interrupt on or off.
func EnableReceive(base uint16, on bool) {
	var v uint8
	if on {
		v = ierReceive
	}
	arch.Outb(base+regIER, v)
}

// Write sends b, waiting for room in the transmitter before each byte.
func Write(base uint16, b []byte) {
	for _, c := range b {
		putc(base, c)
	}
}

func putc(base uint16, c byte) {
	for i := 0; i < 1<<20 && arch.Inb(base+regLSR)&lsrTHREmpty == 0; i++ {
		arch.Pause()
	}
	arch.Outb(base+regTHR, c)
}

// ReadByte returns the next received byte, if one is waiting.
func ReadByte(base uint16) (byte, bool) {
	if arch.Inb(base+regLSR)&lsrDataReady == 0 {
		return 0, false
	}
	return arch.Inb(base + regRBR), true
}
