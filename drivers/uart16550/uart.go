// Package uart16550 drives a National Semiconductor PC16550D-compatible UART through x86 I/O ports:
// the serial console of QEMU's PC, q35 and microvm machines (COM1 at port 0x3f8).
//
// Reference: PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs, National Semiconductor,
// June 1995: register map (table 2), line status register (§8.6.3).
//
// The driver polls; it needs no interrupts and runs in kernel context (no allocation).
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
)

// Line status register bits.
const (
	lsrDataReady = 1 << 0
	lsrTHREmpty  = 1 << 5
)

// Init programs the UART at base for 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on,
// interrupts off.
func Init(base uint16) {
	arch.Outb(base+regIER, 0x00)
	arch.Outb(base+regLCR, 0x80) // DLAB
	arch.Outb(base+regDLL, 0x01) // 115200 = 1843200 / (16 * 1)
	arch.Outb(base+regDLM, 0x00)
	arch.Outb(base+regLCR, 0x03) // 8N1
	arch.Outb(base+regFCR, 0xC7) // enable and clear FIFOs, 14-byte threshold
	arch.Outb(base+regMCR, 0x03) // DTR, RTS
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
