// Command imagebench measures unikgen kernels side by side in one run and prints markdown tables
// for docs/benchmarks.md:
//
//   - image size of examples/hello as a kernel (generic composition root, and the one the
//     generator specialises for it) and as an ordinary static Linux binary built with the same
//     flags (-trimpath, CGO_ENABLED=0);
//   - boot-to-exit wall time under QEMU TCG of hello and of the floor image (image.Floor, a
//     kernel that exits at its first instruction), in interleaved runs, as medians and their ratio;
//   - the smallest guest memory (-m, MiB) at which hello and goroutines still give their Linux
//     output and status, by bisection.
//
// Usage (from the module root):
//
//	go run ./internal/bench/imagebench [-n 15] [-maxmem 64] [-microvm OPTS]...
//
// Each -microvm flag adds a row to the boot table: hello and the floor booted with those microvm
// properties instead of the default (internal/host/qemu.MicroVMOptions). Wall times include starting
// QEMU; the floor row is what the machine, firmware and loader cost before a kernel runs.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/runstats"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/image"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/pipeline"
)

type optList []string

func (o *optList) String() string     { return strings.Join(*o, " ") }
func (o *optList) Set(s string) error { *o = append(*o, s); return nil }

var (
	runs    = flag.Int("n", 15, "boots per variant for the timing table")
	noMem   = flag.Bool("nomem", false, "skip the memory bisection")
	maxMem  = flag.Int("maxmem", 64, "upper bound (MiB) of the memory bisection")
	timeout = flag.Duration("timeout", 60*time.Second, "timeout of each boot")
	microvm optList
)

func main() {
	flag.Var(&microvm, "microvm", "also time boots with these microvm `properties` (repeatable)")
	benchcmd.Start("imagebench", true)
	ctx := context.Background()
	tmp := benchcmd.TempDir("imagebench")
	defer os.RemoveAll(tmp)

	hello := kernel(ctx, tmp, "./examples/hello")
	goroutines := kernel(ctx, tmp, "./examples/goroutines")
	linuxHello, helloOut := linux(tmp, "./examples/hello")
	_, goroutinesOut := linux(tmp, "./examples/goroutines")
	floor := filepath.Join(tmp, "floor.xen")
	if err := os.WriteFile(floor, image.Floor(), 0o644); err != nil {
		log.Fatal(err)
	}

	fmt.Printf("Measured %s on %s, %s, %d CPUs, %s.\n\n", time.Now().UTC().Format("2006-01-02"),
		"QEMU "+runstats.QEMUVersion(), runtime.Version(), runtime.NumCPU(), "QEMU TCG")

	// Sizes.
	fmt.Println("| image of examples/hello | bytes | vs Linux binary |")
	fmt.Println("|---|---:|---:|")
	lsize := size(linuxHello)
	row := func(name string, n int64) {
		fmt.Printf("| %s | %d | %.2f× |\n", name, n, float64(n)/float64(lsize))
	}
	row("static Linux binary (go build -trimpath, CGO_ENABLED=0)", lsize)
	row("unikgen kernel, generic composition root", size(hello))
	if spec, err := specialised(ctx, tmp); err != nil {
		fmt.Printf("| unikgen kernel, specialised composition root | n/a: %s | |\n", firstLine(err.Error()))
	} else {
		row("unikgen kernel, specialised composition root", size(spec))
	}
	fmt.Printf("| floor image (exits at its first instruction) | %d | |\n\n", size(floor))

	// Boot times, interleaved.
	type variant struct {
		name string
		cfg  qemu.Config
		want string
		wall []time.Duration
		cpu  []time.Duration
	}
	var vs []*variant
	add := func(opts *string, label string) {
		vs = append(vs,
			&variant{name: "floor" + label, cfg: qemu.Config{Kernel: floor, MachineOptions: opts}},
			&variant{name: "hello" + label, cfg: qemu.Config{Kernel: hello, MachineOptions: opts}, want: helloOut})
	}
	add(nil, "")
	for _, o := range microvm {
		label := " (microvm," + o + ")"
		if o == "" {
			label = " (microvm defaults)"
		}
		add(&o, label)
	}
	for i := 0; i < *runs; i++ {
		order := slices.Clone(vs)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, v := range order {
			var out bytes.Buffer
			cfg := v.cfg
			cfg.Console, cfg.Timeout = &out, *timeout
			res, err := qemu.Run(ctx, cfg)
			if err != nil || res.Status != 0 || (v.want != "" && out.String() != v.want) {
				log.Fatalf("%s: status %d, err %v, output:\n%s", v.name, res.Status, err, out.String())
			}
			v.wall = append(v.wall, res.Wall)
			v.cpu = append(v.cpu, res.CPU)
		}
	}
	fmt.Printf("Boot to exit, QEMU TCG, -m %d, %d interleaved runs each: wall time from starting QEMU to its exit, "+
		"and QEMU's CPU time (user+system, less sensitive to a busy host):\n\n", qemu.DefaultMemoryMiB, *runs)
	fmt.Println("| kernel | wall median | wall min | wall max | wall vs floor | CPU median | CPU vs floor |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for i := 0; i < len(vs); i += 2 {
		fl, fc := runstats.Median(vs[i].wall), runstats.Median(vs[i].cpu)
		for _, v := range vs[i : i+2] {
			m, c := runstats.Median(v.wall), runstats.Median(v.cpu)
			fmt.Printf("| %s | %v | %v | %v | %.1f× | %v | %.1f× |\n", v.name, ms(m), ms(slices.Min(v.wall)), ms(slices.Max(v.wall)),
				float64(m)/float64(fl), ms(c), float64(c)/float64(fc))
		}
	}
	fmt.Println()

	// Minimum memory.
	if *noMem {
		return
	}
	fmt.Println("| program | smallest -m (MiB) that passes |")
	fmt.Println("|---|---:|")
	for _, p := range []struct{ name, img, want string }{
		{"hello", hello, helloOut},
		{"goroutines", goroutines, goroutinesOut},
	} {
		fmt.Printf("| %s | %s |\n", p.name, minMemory(ctx, p.img, p.want))
	}
}

// kernel builds a package as a unikgen kernel with the generic composition root.
func kernel(ctx context.Context, dir, pkg string) string {
	out := filepath.Join(dir, filepath.Base(pkg)+".xen")
	if _, err := build.Build(ctx, build.Options{Package: pkg, Output: out}); err != nil {
		log.Fatal(err)
	}
	return out
}

// specialised builds hello with the composition root the generator makes for it.
func specialised(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "hello-specialised.xen")
	if _, err := pipeline.Build(ctx, pipeline.Options{Gen: gen.Options{Package: "./examples/hello"}, Output: out}); err != nil {
		return "", err
	}
	return out, nil
}

// linux builds pkg as a static Linux binary with the kernel's flags and returns it and its output.
func linux(dir, pkg string) (string, string) {
	bin := benchcmd.LinuxBinary(dir, pkg)
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	return bin, string(out)
}

// minMemory bisects the smallest memory size in MiB at which img exits 0 with output want.
func minMemory(ctx context.Context, img, want string) string {
	ok := func(mib int) bool {
		var out bytes.Buffer
		res, err := qemu.Run(ctx, qemu.Config{Kernel: img, MemoryMiB: mib, Console: &out, Timeout: 30 * time.Second})
		return err == nil && res.Status == 0 && out.String() == want
	}
	lo, hi := 1, *maxMem // invariant: lo fails (or is the floor), hi passes
	if !ok(hi) {
		return fmt.Sprintf("fails at %d", hi)
	}
	if ok(lo) {
		return "1"
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return fmt.Sprint(hi)
}

func size(path string) int64 { return runstats.FileSize(path) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.ReplaceAll(s, "|", "\\|")
}
