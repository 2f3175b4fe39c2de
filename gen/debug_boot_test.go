package gen_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
)

// TestBootDebugSyscalls boots a kernel specialised for QEMU only, with DebugSyscalls: a system
// call without a handler fails with ENOSYS and the kernel names it once on the console.
func TestBootDebugSyscalls(t *testing.T) {
	needKernels(t)
	testenv.NeedQEMU(t)
	ctx := context.Background()
	target, debug := config.QEMU, true
	const pkg = "./gen/testdata/enosys"
	img := filepath.Join(t.TempDir(), "enosys.xen")
	r, err := pipeline.Build(ctx, pipeline.Options{Output: img, Gen: gen.Options{Dir: "..", Package: pkg,
		Overrides: gen.Overrides{Target: &target, DebugSyscalls: &debug}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Gen.Plan.Target != config.QEMU {
		t.Fatalf("plan target %q", r.Gen.Plan.Target)
	}
	var console bytes.Buffer
	res, err := qemu.Run(ctx, qemu.Config{Kernel: img, Console: &console, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, console.String())
	}
	want := "unikgen: unsupported system call acct (163): ENOSYS\nacct: function not implemented\n"
	if res.Status != 0 || console.String() != want {
		t.Errorf("status %d, console:\n%s\nwant:\n%s", res.Status, console.String(), want)
	}
}
