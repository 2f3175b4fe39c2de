package gen_test

// This file checks that specialised kernels still boot and behave as the generic ones do, and
// measures what specialisation saves (TestImageSizes).

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
)

// kernel is one built image.
type kernel struct {
	res   *gen.Result
	image string
	size  int64
}

// buildKernel generates and builds pkg (relative to the module root) into dir.
func buildKernel(t *testing.T, pkg, dir string, generic bool) kernel {
	t.Helper()
	ctx := context.Background()
	name := "specialised.xen"
	if generic {
		name = "generic.xen"
	}
	out := filepath.Join(dir, name)
	r, err := pipeline.Build(ctx, pipeline.Options{Gen: gen.Options{Dir: "..", Package: pkg, Generic: generic}, Output: out})
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	return kernel{r.Gen, out, r.Build.Size}
}

func needKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots kernels; skipped with -short")
	}
	testenv.NeedGo(t)
}

// TestBootSpecialised boots each example as a specialised and as a generic kernel under QEMU:
// same console output, same exit status, a smaller system-call table, and a composition root that
// needs no package initialisation.
func TestBootSpecialised(t *testing.T) {
	needKernels(t)
	testenv.NeedQEMU(t)
	for _, ex := range []string{"hello", "goroutines"} {
		t.Run(ex, func(t *testing.T) {
			dir := t.TempDir()
			pkg := "./examples/" + ex
			spec := buildKernel(t, pkg, dir, false)
			gen := buildKernel(t, pkg, dir, true)
			if s, g := len(spec.res.Plan.Syscalls.Calls), len(gen.res.Plan.Syscalls.Calls); s >= g {
				t.Errorf("specialised table has %d system calls, generic %d: want fewer", s, g)
			}
			if spec.size > gen.size {
				t.Errorf("specialised image %d bytes > generic %d", spec.size, gen.size)
			}
			nm, err := exec.Command("go", "tool", "nm", spec.image).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(nm), "\n") {
				if strings.Contains(l, "unikgen/unikgen/runtime/") && strings.HasSuffix(l, ".init") {
					t.Errorf("runtime package initialiser linked: %s", l)
				}
			}
			// Neither program makes a socket: no network component in the specialised kernel,
			// all of it in the generic one.
			netSyms := func(nm string) (n int) {
				for _, l := range strings.Split(nm, "\n") {
					// drivers/virtio/console is the QEMU platform's console (program output), in every kernel.
					virtio := strings.Contains(l, "unikgen/drivers/virtio") && !strings.Contains(l, "unikgen/drivers/virtio/console")
					if strings.Contains(l, "gvisor.dev/gvisor") || strings.Contains(l, "unikgen/services/") || virtio {
						n++
					}
				}
				return n
			}
			gnm, err := exec.Command("go", "tool", "nm", gen.image).Output()
			if err != nil {
				t.Fatal(err)
			}
			if n := netSyms(string(nm)); n > 0 {
				t.Errorf("specialised %s links %d symbols of the network component", ex, n)
			}
			if n := netSyms(string(gnm)); n == 0 {
				t.Errorf("generic %s links no network component: the check above cannot fail", ex)
			}
			if 2*spec.size > gen.size {
				t.Errorf("specialised image %d bytes is more than half the generic %d", spec.size, gen.size)
			}
			outS, stS := boot(t, spec.image)
			outG, stG := boot(t, gen.image)
			if outS != outG || stS != stG {
				t.Errorf("specialised: status %d, output\n%s\ngeneric: status %d, output\n%s", stS, outS, stG, outG)
			}
			if outS == "" {
				t.Errorf("no output")
			}
			t.Logf("%s: %d system calls (generic %d), %d bytes (generic %d), status %d",
				ex, len(spec.res.Plan.Syscalls.Calls), len(gen.res.Plan.Syscalls.Calls), spec.size, gen.size, stS)
		})
	}
}

func boot(t *testing.T, image string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	res, err := qemu.Run(context.Background(), qemu.Config{Kernel: image, Timeout: 2 * time.Minute, Console: &out})
	if err != nil {
		t.Fatalf("%s: %v\n%s", image, err, out.String())
	}
	return out.String(), res.Status
}

// TestImageSizes prints the specialised-vs-generic table of docs/benchmarks.md. It runs only with
// UNIKGEN_BENCH=1:
//
//	UNIKGEN_BENCH=1 go test ./gen -run TestImageSizes -v
func TestImageSizes(t *testing.T) {
	if os.Getenv("UNIKGEN_BENCH") == "" {
		t.Skip("set UNIKGEN_BENCH=1 to measure image sizes")
	}
	needKernels(t)
	var b strings.Builder
	fmt.Fprintf(&b, "| program | generic bytes | specialised bytes | reduction | system calls (generic → specialised) | ENOSYS | components in (generic → specialised) |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, pkg := range []string{"./examples/hello", "./examples/goroutines", "./gen/testdata/constfalse", "./gen/testdata/nethttp"} {
		dir := t.TempDir()
		s := buildKernel(t, pkg, dir, false)
		g := buildKernel(t, pkg, dir, true)
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f%% | %d → %d | %d | %d → %d |\n", pkg, g.size, s.size,
			100*float64(g.size-s.size)/float64(g.size),
			len(g.res.Plan.Syscalls.Calls), len(s.res.Plan.Syscalls.Calls), len(s.res.Plan.Syscalls.ENOSYS),
			countIn(g.res), countIn(s.res))
	}
	t.Log("\n" + b.String())
}

func countIn(r *gen.Result) int {
	n := 0
	for _, c := range r.Plan.Components {
		if c.In {
			n++
		}
	}
	return n
}
