package qemu

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vcons "github.com/unikgen/unikgen/drivers/virtio/console"
	"github.com/unikgen/unikgen/image"
	"github.com/unikgen/unikgen/internal/testenv"
)

// microvmConsole is the virtio console of a microvm machine.
const microvmConsole = "-add-fd fd=3,set=3 -chardev file,id=ugconsole,path=/dev/fdset/3,append=on " +
	"-global virtio-mmio.force-legacy=false -device virtio-serial-device,max_ports=2 " +
	"-device virtserialport,chardev=ugconsole,nr=1,name=org.unikgen.console"

func TestCommandArgs(t *testing.T) {
	tests := []struct {
		c    Config
		want string
	}{
		{Config{Kernel: "k.xen"},
			"-M microvm,x-option-roms=off,pit=on,rtc=on,pic=off,acpi=off,ioapic2=off,auto-kernel-cmdline=off -bios /usr/share/qemu/qboot.rom " +
				"-accel tcg -cpu max -m 128 -nodefaults -no-user-config -display none -serial stdio -no-reboot " +
				"-device isa-debug-exit,iobase=0xf4,iosize=0x04 -chardev file,id=ugstatus,path=/tmp/a,,b/status " +
				"-device isa-debugcon,iobase=0x402,chardev=ugstatus -kernel k.xen " + microvmConsole},
		{Config{Kernel: "k.xen", SerialOutput: true},
			"-M microvm,x-option-roms=off,pit=on,rtc=on,pic=off,acpi=off,ioapic2=off,auto-kernel-cmdline=off -bios /usr/share/qemu/qboot.rom " +
				"-accel tcg -cpu max -m 128 -nodefaults -no-user-config -display none -serial stdio -no-reboot " +
				"-device isa-debug-exit,iobase=0xf4,iosize=0x04 -chardev file,id=ugstatus,path=/tmp/a,,b/status " +
				"-device isa-debugcon,iobase=0x402,chardev=ugstatus -kernel k.xen"},
		{Config{Kernel: "k.xen", Machine: Q35, Accel: KVM, MemoryMiB: 128, Env: []string{"A=1"}, Args: []string{"x y"}},
			"-M q35 -accel kvm -cpu qemu64,+rdrand -m 128 -nodefaults -no-user-config -display none -serial stdio -no-reboot " +
				"-device isa-debug-exit,iobase=0xf4,iosize=0x04 -chardev file,id=ugstatus,path=/tmp/a,,b/status " +
				"-device isa-debugcon,iobase=0x402,chardev=ugstatus -kernel k.xen -append|A=1 -- \"x y\" " +
				"-add-fd fd=3,set=3 -chardev file,id=ugconsole,path=/dev/fdset/3,append=on " +
				"-device virtio-serial-pci,disable-legacy=on,max_ports=2 -device virtserialport,chardev=ugconsole,nr=1,name=org.unikgen.console"},
	}
	for _, tt := range tests {
		args, err := tt.c.CommandArgs("/tmp/a,b/status")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(args, " ")
		if i := strings.Index(got, " -append "); i >= 0 {
			got = got[:i] + " -append|" + got[i+len(" -append "):]
		}
		if got != tt.want {
			t.Errorf("CommandArgs(%+v)\n got %s\nwant %s", tt.c, got, tt.want)
		}
	}
}

func TestCommandArgsErrors(t *testing.T) {
	tests := []struct {
		c    Config
		want string
	}{
		{Config{}, "no kernel image"},
		{Config{Kernel: "k", Machine: "pc"}, `unknown machine "pc" (want microvm or q35)`},
		{Config{Kernel: "k", Accel: "hvf"}, `unknown accelerator "hvf" (want tcg or kvm)`},
		{Config{Kernel: "k", MemoryMiB: -1}, "memory size -1 MiB is negative"},
		{Config{Kernel: "k", Env: []string{"X"}}, `environment entry "X" is not KEY=VALUE`},
	}
	for _, tt := range tests {
		if _, err := tt.c.CommandArgs("s"); err == nil || err.Error() != tt.want {
			t.Errorf("CommandArgs(%+v) error = %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		code     int
		debugcon string
		stderr   string
		status   int
		exact    bool
		err      string
	}{
		{1, "0\n", "", 0, true, ""},
		{15, "7\n", "", 7, true, ""},
		{1, "", "", 0, false, ""},
		{15, "", "", 7, false, ""},
		{(300<<1 | 1) & 255, "300\n", "", 300, true, ""},
		{1, "", "qemu-system-x86_64: warning: something\n", 0, false, ""},
		{0, "", "", 0, false, "the guest reset without reporting an exit status (a triple fault: the kernel crashed)"},
		{1, "", "qemu-system-x86_64: -kernel x: no such file\n", 0, false, "QEMU exited with status 1: qemu-system-x86_64: -kernel x: no such file"},
		{2, "", "", 0, false, "QEMU exited with status 2 and no message"},
		{1, "SeaBIOS (version 1.16)\nBooting from ROM..\n", "", 0, false, ""},
		{15, "SeaBIOS (version 1.16)\nBooting from ROM..\n7\n", "", 7, true, ""},
	}
	for _, tt := range tests {
		status, exact, err := decodeStatus(tt.code, []byte(tt.debugcon), tt.stderr)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if status != tt.status || exact != tt.exact || msg != tt.err {
			t.Errorf("decodeStatus(%d, %q, %q) = %d, %v, %q; want %d, %v, %q",
				tt.code, tt.debugcon, tt.stderr, status, exact, msg, tt.status, tt.exact, tt.err)
		}
	}
}

func needQEMU(t *testing.T) { testenv.NeedQEMU(t) }

// codeImage writes the floor image with its entry code replaced.
func codeImage(t *testing.T, code []byte) string {
	t.Helper()
	b := image.Floor()
	copy(b[len(b)-10:], code) // the floor's code is its last 10 bytes
	p := filepath.Join(t.TempDir(), "k.xen")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFloor(t *testing.T) {
	needQEMU(t)
	p := filepath.Join(t.TempDir(), "floor.xen")
	if err := os.WriteFile(p, image.Floor(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{MicroVM, Q35} {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			res, err := Run(context.Background(), Config{Kernel: p, Machine: m, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 0 || res.Exact {
				t.Errorf("floor image: status %d (exact %v), want 0 from QEMU's exit code 1", res.Status, res.Exact)
			}
			t.Logf("%s: %v", m, res.Wall)
		})
	}
}

func TestRunStatus(t *testing.T) {
	needQEMU(t)
	// mov $'4',%al; mov $0x402,%dx; out %al,(%dx); mov $'2',%al; out %al,(%dx);
	// mov $42,%eax; out %eax,$0xf4; hlt
	code := []byte{0xb0, '4', 0x66, 0xba, 0x02, 0x04, 0xee, 0xb0, '2', 0xee, 0xb8, 42, 0, 0, 0, 0xe7, 0xf4, 0xf4}
	b := image.Floor()
	b = append(b[:len(b)-10], code...)
	// Grow the PT_LOAD (offset 64+32: p_filesz, 64+40: p_memsz) to cover the longer code.
	for _, off := range []int{64 + 32, 64 + 40} {
		b[off] = byte(len(b))
	}
	p := filepath.Join(t.TempDir(), "k.xen")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Config{Kernel: p, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 42 || !res.Exact {
		t.Errorf("status %d (exact %v), want 42 from the debug console", res.Status, res.Exact)
	}
}

func TestRunTimeout(t *testing.T) {
	needQEMU(t)
	p := codeImage(t, []byte{0xf4, 0xeb, 0xfd}) // 1: hlt; jmp 1b
	start := time.Now()
	_, err := Run(context.Background(), Config{Kernel: p, Timeout: 2 * time.Second})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Run of a halting kernel: err = %v, want a *TimeoutError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout of 2s took %v", d)
	}
}

func TestRunCrash(t *testing.T) {
	needQEMU(t)
	// lidt (FloorBase+9), an all-zero 6-byte descriptor in e_ident's padding; int3: a triple fault.
	code := []byte{0x0f, 0x01, 0x1d, 0x09, 0x00, 0x20, 0x00, 0xcc}
	_, err := Run(context.Background(), Config{Kernel: codeImage(t, code), Timeout: 30 * time.Second})
	var ce *CrashError
	if !errors.As(err, &ce) {
		t.Fatalf("Run of a triple-faulting kernel: err = %v, want a *CrashError", err)
	}
}

func TestRunErrors(t *testing.T) {
	_, err := Run(context.Background(), Config{Kernel: "k", QEMU: "/nonexistent/qemu-system-x86_64"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "install qemu-system-x86") {
		t.Errorf("missing QEMU: err = %v, want a *NotFoundError naming the package", err)
	}

	needQEMU(t)
	p := filepath.Join(t.TempDir(), "junk.xen")
	if err := os.WriteFile(p, []byte("not a kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Config{Kernel: p, Timeout: 30 * time.Second})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("junk kernel: err = %v, want an *ExitError", err)
	}
	t.Logf("junk kernel: %v", err)
	if _, err := exec.LookPath("true"); err == nil {
		// A "QEMU" that exits 0 at once looks like a reset without status.
		_, err := Run(context.Background(), Config{Kernel: p, QEMU: "true"})
		if !errors.As(err, new(*CrashError)) {
			t.Errorf("QEMU exiting 0: err = %v, want a *CrashError", err)
		}
	}
}

// TestConsolePort checks that QEMU's port has the name the kernel's driver looks for.
func TestConsolePort(t *testing.T) {
	if ConsolePort != vcons.PortName {
		t.Errorf("ConsolePort %q, the driver's PortName %q", ConsolePort, vcons.PortName)
	}
}
