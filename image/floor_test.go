package image

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestFloorBoots boots the floor image under QEMU directly (no unikgen runner): QEMU must exit with
// status 1, i.e. (0 << 1) | 1 from isa-debug-exit, on both the microvm and the q35 machine.
func TestFloorBoots(t *testing.T) {
	qemu := testenv.NeedQEMU(t)
	p := filepath.Join(t.TempDir(), "floor.xen")
	if err := os.WriteFile(p, Floor(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, machine := range [][]string{
		{"-M", "microvm,x-option-roms=off", "-bios", "/usr/share/qemu/qboot.rom"},
		{"-M", "q35"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		args := append(machine, "-accel", "tcg", "-m", "16", "-nodefaults", "-no-user-config", "-display", "none",
			"-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", p)
		out, err := exec.CommandContext(ctx, qemu, args...).CombinedOutput()
		cancel()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Errorf("qemu %v: %v, want exit status 1\n%s", machine, err, out)
		}
	}
}
