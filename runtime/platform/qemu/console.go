package qemu

// This file connects the program's console (runtime/console) to QEMU's devices: input from the
// 16550 UART's receive interrupt (COM1, ISA IRQ 4, through the I/O APIC), output to a virtio
// console port when the machine has one (drivers/virtio/console), else to the UART. Kernel
// messages always go to the UART; each first waits until the virtio console has written out
// the program's earlier output, so that the host sees both in the order they were made (a
// fault report after the program's last line).

import (
	"github.com/unikgen/unikgen/drivers/uart16550"
	vcons "github.com/unikgen/unikgen/drivers/virtio/console"
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/console"
	"github.com/unikgen/unikgen/runtime/irq"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/trap"
)

// flushTimeout bounds the wait for the virtio console to write out the program's output, before
// a kernel message or the exit: the host may have stopped reading.
const flushTimeout = 5e9

var (
	uartPresent bool
	rxOff       bool // the receive interrupt is off: the console's input is full
)

// initConsole sets up the UART (kernel messages, and input) and the virtio console (the program's
// output), and installs the kernel's console sink.
func initConsole() {
	uartPresent = uart16550.Present(uart16550.COM1)
	uart16550.Init(uart16550.COM1)
	klog.SetSink(kernelMessage)
	if uartPresent {
		trap.SetHandler(irq.ConsoleInputVector, uartInterrupt)
		if irq.RouteKernel(irq.ISAIRQCOM1, irq.ConsoleInputVector, false) {
			console.SetInput(pullInput)
			uart16550.EnableReceive(uart16550.COM1, true)
		} else {
			klog.Print("unikgen: cannot route the UART's interrupt; standard input reads end of file\n")
		}
	}
	ok, why := vcons.Init(irq.ConsoleOutputVector)
	if !ok {
		if why != "" {
			klog.Print("unikgen: virtio console: ")
			klog.Print(why)
			klog.Print("; the program's output goes to the serial port\n")
		}
		return
	}
	trap.SetHandler(irq.ConsoleOutputVector, outputInterrupt)
	if gsi := vcons.GSI(); gsi >= 0 && !irq.RouteKernel(gsi, irq.ConsoleOutputVector, true) {
		klog.Print("unikgen: virtio console: cannot route its interrupt; the program's output goes to the serial port\n")
		return
	}
	console.SetOutput(vcons.Write, vcons.Arm)
}

// kernelMessage is the kernel's console sink: the UART, after the program's output.
func kernelMessage(b []byte) {
	flushOutput()
	uart16550.Write(uart16550.COM1, b)
}

// flushOutput waits until the virtio console has written out everything the program wrote, for
// at most flushTimeout.
func flushOutput() {
	if !vcons.Ready() {
		return
	}
	var deadline int64
	if ktime.TSCHz() != 0 {
		deadline = ktime.Nanotime() + flushTimeout
	}
	for i := 0; !vcons.Drained(); i++ {
		if deadline != 0 && ktime.Nanotime() > deadline || deadline == 0 && i > 1e8 {
			return
		}
		arch.Pause()
	}
}

// uartInterrupt serves the UART's receive interrupt (data at the FIFO's trigger level, or the
// character timeout).
func uartInterrupt() {
	pullInput()
	ktime.EOI()
}

// pullInput moves received bytes from the UART into the console's input while it has room. With
// the input full it turns the receive interrupt off (the UART's FIFO then fills and QEMU stops
// reading the host's stream) until a read makes room and calls pullInput again.
func pullInput() {
	var buf [16]byte
	for {
		max := min(len(buf), console.Room()/2) // a received byte decodes to at most two
		if max == 0 {
			if !rxOff {
				rxOff = true
				uart16550.EnableReceive(uart16550.COM1, false)
			}
			return
		}
		n := 0
		for n < max {
			c, ok := uart16550.ReadByte(uart16550.COM1)
			if !ok {
				break
			}
			buf[n] = c
			n++
		}
		if n > 0 {
			console.Feed(buf[:n])
		}
		if n < max {
			break // the FIFO is empty
		}
	}
	if rxOff {
		rxOff = false
		uart16550.EnableReceive(uart16550.COM1, true)
	}
}

// outputInterrupt serves the virtio console's interrupt: buffers came back; writers waiting for
// room run again.
func outputInterrupt() {
	if vcons.Interrupt() {
		console.Changed()
	}
	ktime.EOI()
}
