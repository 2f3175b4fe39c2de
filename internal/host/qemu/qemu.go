// This file implements the QEMU command line.

package qemu

import (
	"errors"
	"fmt"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Binary is the QEMU system emulator that runs unikgen kernels.
const Binary = "qemu-system-x86_64"

// QbootROM is the firmware used with the microvm machine: qboot jumps to a PVH kernel in a few
// milliseconds, where SeaBIOS takes tens.
const QbootROM = "/usr/share/qemu/qboot.rom"

// Machines.
const (
	MicroVM = "microvm" // the default: no PCI, no ACPI, the fastest boot
	Q35     = "q35"     // a PC with PCI Express, for devices microvm lacks
)

// Accelerators.
const (
	TCG = "tcg" // the default: emulation, works everywhere
	KVM = "kvm" // hardware virtualisation; needs /dev/kvm
)

// MicroVMOptions are the microvm machine properties. The kernel masks the 8259 PIC, uses the local
// APIC timer and reads no ACPI table, so the PIC, ACPI and the second IOAPIC are off; it does use
// the 8254 PIT (the TSC's rate is measured against channel 0) and the CMOS RTC (wall clock), so both are on.
// qboot's PVH path needs no option ROM. auto-kernel-cmdline=off keeps QEMU from appending
// virtio-mmio device descriptions to the command line, which is the program's argv and
// environment. Measured with internal/bench/imagebench on QEMU 10.0.2 TCG (2-core host, 21
// interleaved runs): the floor image exits in 29 ms wall / 27.5 ms QEMU CPU with these properties,
// 36 ms / 32 ms with microvm's defaults.
const MicroVMOptions = "x-option-roms=off,pit=on,rtc=on,pic=off,acpi=off,ioapic2=off,auto-kernel-cmdline=off"

// Config describes one boot.
type Config struct {
	Kernel    string        // the PVH ELF image
	MemoryMiB int           // guest RAM; 0 means DefaultMemoryMiB
	Machine   string        // MicroVM (default) or Q35
	Accel     string        // TCG (default) or KVM
	Env       []string      // KEY=VALUE, the program's environment
	Args      []string      // os.Args[1:]
	Timeout   time.Duration // 0 means none
	Console   io.Writer     // the program's stdout and stderr, and kernel messages; nil discards
	Stderr    io.Writer     // QEMU's own messages; nil discards (they also appear in errors)
	QEMU      string        // the emulator; "" means Binary found in $PATH
	Net       string        // the network device: NetNone (""), NetUser or NetTap+IFNAME
	Forwards  []Forward     // ports forwarded by user networking
	Drives    []Drive       // disks: virtio block devices, /dev/vda first
	// Initrd and RawCmdline boot another kernel than unikgen's (the Linux baseline of the
	// benchmarks): an initramfs, and a command line passed as is instead of Env and Args.
	Initrd     string
	RawCmdline string
	// MachineOptions replaces the machine's default properties (for microvm, MicroVMOptions);
	// for measurements.
	MachineOptions *string
	// Stdin is the program's standard input: sent to the serial port as a runtime/console/wire
	// stream, ended by the end mark when Stdin reaches end of file (console.go). nil: the
	// program reads end of file at once.
	Stdin io.Reader
	// SerialOutput leaves out the virtio console: the program's output then goes through the
	// serial port, 10 to 30 times slower. For comparisons.
	SerialOutput bool
	// GDB, when not "", is the HOST:PORT of a gdb stub: QEMU stops the CPU before the first
	// instruction (-S) until a debugger connects there and continues.
	GDB string
	// Trace, if set, receives the QEMU command line before Run starts it (unikgen -x).
	Trace func(args []string)
}

// DefaultMemoryMiB is the guest memory when Config.MemoryMiB is 0; the same as
// gen/plan.DefaultMemoryMiB (docs/libos.md, "Memory").
const DefaultMemoryMiB = 128

// NotFoundError reports that QEMU is not installed.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s not found: install qemu-system-x86 (QEMU 10; on Debian bookworm from bookworm-backports, see scripts/install-qemu.sh)", e.Name)
}

// LookPath finds the QEMU binary: name, or [Binary] when name is "". A missing binary is a
// *[NotFoundError].
func LookPath(name string) (string, error) {
	if name == "" {
		name = Binary
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &NotFoundError{Name: name}
	}
	return p, nil
}

// CommandArgs returns QEMU's arguments (without the program name) for booting c.Kernel, reporting the
// exit status into statusFile. Unless c.SerialOutput, QEMU must find its standard output's pipe
// again on descriptor 3 (Run does that; console.go).
func (c *Config) CommandArgs(statusFile string) ([]string, error) {
	if c.Kernel == "" {
		return nil, errors.New("no kernel image")
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = DefaultMemoryMiB
	}
	if mem < 0 {
		return nil, fmt.Errorf("memory size %d MiB is negative", mem)
	}
	var args []string
	opts := func(def string) string {
		if c.MachineOptions != nil {
			def = *c.MachineOptions
		}
		if def == "" {
			return ""
		}
		return "," + def
	}
	switch c.Machine {
	case "", MicroVM:
		args = append(args, "-M", MicroVM+opts(MicroVMOptions), "-bios", QbootROM)
	case Q35:
		args = append(args, "-M", Q35+opts(""))
	default:
		return nil, fmt.Errorf("unknown machine %q (want %s or %s)", c.Machine, MicroVM, Q35)
	}
	switch c.Accel {
	case "", TCG:
		// TCG's default CPU (qemu64) lacks features the Go runtime and the kernel use (RDRAND,
		// XSAVE, ...); "max" is everything TCG can emulate.
		args = append(args, "-accel", TCG, "-cpu", "max")
	case KVM:
		// The default CPU model plus RDRAND (getrandom, and so crypto/rand, fails closed without a
		// hardware generator): -cpu host or max pass MSRs and features that some hosts' KVM
		// (PVM-type) reject.
		args = append(args, "-accel", KVM, "-cpu", "qemu64,+rdrand")
	default:
		return nil, fmt.Errorf("unknown accelerator %q (want %s or %s)", c.Accel, TCG, KVM)
	}
	cmdline, err := cmdline.Encode(c.Env, c.Args)
	if err != nil {
		return nil, err
	}
	if c.RawCmdline != "" {
		if cmdline != "" {
			return nil, errors.New("a raw command line and Env or Args")
		}
		cmdline = c.RawCmdline
	}
	args = append(args,
		"-m", strconv.Itoa(mem),
		"-nodefaults", "-no-user-config", "-display", "none",
		"-serial", "stdio",
		"-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-chardev", "file,id=ugstatus,path="+escapeOpt(statusFile),
		"-device", "isa-debugcon,iobase=0x402,chardev=ugstatus",
		"-kernel", c.Kernel,
	)
	if cmdline != "" {
		args = append(args, "-append", cmdline)
	}
	if c.Initrd != "" {
		args = append(args, "-initrd", c.Initrd)
	}
	if c.GDB != "" {
		args = append(args, "-S", "-gdb", "tcp:"+c.GDB)
	}
	da, err := c.driveArgs(c.Machine)
	if err != nil {
		return nil, err
	}
	args = append(args, da...)
	args = append(args, c.consoleArgs(c.Machine)...)
	na, err := c.netArgs(c.Machine)
	if err != nil {
		return nil, err
	}
	return append(args, na...), nil
}

// escapeOpt escapes a value inside a QEMU option list, where a comma is written twice.
func escapeOpt(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == ',' {
			out = append(out, ',')
		}
	}
	return string(out)
}

// checkKVM reports why /dev/kvm cannot be used, if it cannot.
func checkKVM() error {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("-accel kvm: %w", err)
	}
	return f.Close()
}
