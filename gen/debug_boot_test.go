package gen_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// TestBootDebugSyscalls boots a kernel specialised for QEMU only, with DebugSyscalls: a system
// call without a handler fails with ENOSYS and the kernel names it once on the console.
func TestBootDebugSyscalls(t *testing.T) {
	needKernels(t)
	testenv.NeedQEMU(t)
	ctx := context.Background()
	target, debug := config.QEMU, true
	const pkg = "./gen/testdata/enosys"
	r, err := gen.Generate(ctx, gen.Options{Dir: "..", Package: pkg,
		Overrides: gen.Overrides{Target: &target, DebugSyscalls: &debug}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Plan.Target != config.QEMU {
		t.Fatalf("plan target %q", r.Plan.Target)
	}
	img := filepath.Join(t.TempDir(), "enosys.xen")
	if _, err := build.Build(ctx, build.Options{Dir: "..", Package: pkg, Output: img, BootOverlay: r.BootOverlay}); err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	res, err := qemu.Run(ctx, qemu.Config{Kernel: img, Console: &console, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, console.String())
	}
	want := "unikgen: unsupported system call pipe2 (293): ENOSYS\npipe2: function not implemented\n"
	if res.Status != 0 || console.String() != want {
		t.Errorf("status %d, console:\n%s\nwant:\n%s", res.Status, console.String(), want)
	}
}
