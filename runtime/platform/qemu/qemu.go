// Package qemu is the library OS's platform for QEMU and KVM PC-like machines (microvm, q35, pc):
// the console is the 16550 UART at COM1 (kernel messages, and the program's input) and, when
// the machine has one, a virtio console port for the program's output (console.go); time comes
// from the TSC (its rate measured against the 8254 PIT) and the CMOS real-time clock, and the
// machine ends through QEMU's isa-debug-exit device, after the program's output has been written
// out and the exact status written to the isa-debugcon port (docs/internals.md).
package qemu

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/platform"
)

// Init brings up the consoles and installs the QEMU platform operations.
func Init() {
	initConsole()
	platform.Install(platform.Ops{Name: "qemu", Exit: exit})
}

// InitClock makes the TSC the clock, its rate measured against the PIT at boot and then in the
// background (ktime.UsePITClock), and reads the wall clock from the CMOS RTC.
func InitClock() {
	if !ktime.UsePITClock() {
		klog.Print("unikgen: no PIT to calibrate the TSC; assuming 1 GHz\n")
		ktime.SetTSCHz(1e9)
	}
	if sec, ok := ktime.ReadRTC(); ok {
		ktime.SetWallClock(sec * 1e9)
	}
}

// QEMU devices used for the exit status (docs/internals.md, "Exit status on QEMU").
const (
	debugconPort  = 0x402 // isa-debugcon: the exact status, in decimal
	debugExitPort = 0xf4  // isa-debug-exit: QEMU exits with (value << 1) | 1
)

// exit waits until the program's output is written out, reports status on the debug console,
// then ends QEMU through isa-debug-exit. QEMU shuts down shortly after the write, not at once, so
// the CPU waits. If the device is missing, it says so and resets the machine.
func exit(status int) {
	flushOutput()
	var buf [24]byte
	s := klog.FormatDec(buf[:20], int64(status))
	for _, c := range s {
		arch.Outb(debugconPort, c)
	}
	arch.Outb(debugconPort, '\n')
	arch.Outl(debugExitPort, uint32(status))
	t0 := ktime.Nanotime()
	for i := 0; i < 1e8 && (t0 == 0 || ktime.Nanotime()-t0 < 2e9); i++ {
		arch.Pause()
	}
	klog.Print("unikgen: exit status ")
	klog.Dec(int64(status))
	klog.Print(" (no isa-debug-exit device at port 0xf4; resetting)\n")
	platform.Reset()
}
