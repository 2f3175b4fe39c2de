package boot

import (
	"github.com/unikgen/unikgen/drivers/uart16550"
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/klog"
)

// QEMU devices used for the exit status (docs/internals.md, "Exit status on QEMU").
const (
	debugconPort  = 0x402 // isa-debugcon: the exact status, in decimal
	debugExitPort = 0xf4  // isa-debug-exit: QEMU exits with (value << 1) | 1
)

func qemuConsole(b []byte) { uart16550.Write(uart16550.COM1, b) }

// qemuExit reports status on the debug console, then ends QEMU through isa-debug-exit. If that
// device is missing, it says so and resets the machine.
func qemuExit(status int) {
	var buf [24]byte
	s := klog.FormatDec(buf[:20], int64(status))
	for _, c := range s {
		arch.Outb(debugconPort, c)
	}
	arch.Outb(debugconPort, '\n')
	arch.Outl(debugExitPort, uint32(status))
	klog.Print("unikgen: exit status ")
	klog.Dec(int64(status))
	klog.Print(" (no isa-debug-exit device at port 0xf4; resetting)\n")
	tripleFault()
}

// tripleFault resets the machine: with an empty IDT, the breakpoint becomes a triple fault
// (QEMU with -no-reboot then exits).
func tripleFault() {
	arch.Lidt(arch.Addr(nullIDT[:]))
	arch.Breakpoint()
	arch.HaltForever()
}

var nullIDT [10]byte
