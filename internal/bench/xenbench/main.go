// Command xenbench measures examples/hello as a PVH domain of real Xen 4.17 nested in QEMU TCG
// (internal/host/xenlab) and prints a markdown table for docs/benchmarks.md:
//
//   - the guest part of a run: from the start of `xl create` in dom0 to the end of the domain
//     (xenlab Result.GuestTime, dom0 uptime at 0.01 s resolution), median, minimum and maximum of
//     -n runs at 64 MiB; and, for scale, the wall time of the whole QEMU process (Xen and dom0
//     boot, the guest, dom0's report);
//   - the smallest `memory` (MiB) of the xl config at which hello still prints its Linux output
//     (internal/boottest/testdata/hello.golden) and exits 0 with a poweroff, by bisection between
//     0 and -maxmem, and how it fails one MiB below.
//
// The image is built once, the way `unikgen run -target xen` builds it (generator with -target
// xen; -target any also works). Runs are sequential: each nested Xen takes two TCG threads.
//
// Usage (from the module root):
//
//	go run ./internal/bench/xenbench [-n 5] [-maxmem 64] [-target xen] [-wait 30s]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/runstats"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/pipeline"
)

var (
	runs   = flag.Int("n", 5, "timed runs at 64 MiB")
	maxMem = flag.Int("maxmem", 64, "upper bound (MiB) of the memory bisection; must pass")
	noMem  = flag.Bool("nomem", false, "skip the memory bisection")
	target = flag.String("target", "xen", "generator target of the image: xen or any")
	wait   = flag.Duration("wait", 30*time.Second, "how long dom0 lets a domain run before destroying it")
)

const pkg = "./examples/hello"

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// outcome is one run of hello.
type outcome struct {
	res  *xenlab.Result
	pass bool
	why  string // how it failed
}

func main() {
	benchcmd.Start("xenbench", false)
	if *runs < 1 || *maxMem < 1 {
		log.Fatal("-n and -maxmem must be positive")
	}
	ctx := context.Background()
	root := moduleRoot()
	want, err := os.ReadFile(filepath.Join(root, "internal/boottest/testdata/hello.golden"))
	if err != nil {
		log.Fatal(err)
	}
	if err := xenlab.EnsureCache(ctx, "", os.Stderr); err != nil {
		log.Fatal(err)
	}
	tmp := benchcmd.TempDir("xenbench")
	defer os.RemoveAll(tmp)
	img := filepath.Join(tmp, "hello.xen")
	pr, err := pipeline.Build(ctx, pipeline.Options{Output: img,
		Gen: gen.Options{Dir: root, Package: pkg, Overrides: gen.Overrides{Target: (*config.Target)(target)}}})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("built %s (-target %s): %d bytes", pkg, *target, pr.Build.Size)

	boot := func(mem int) outcome {
		var cfg bytes.Buffer
		if err := deploy.XLConfig(&cfg, deploy.XLParams{Name: "hello", Kernel: img, MemoryMiB: mem, VCPUs: 1}); err != nil {
			log.Fatal(err)
		}
		res, err := xenlab.Run(ctx, xenlab.RunOptions{Image: img, XLConfig: cfg.String(), Wait: *wait, Timeout: *wait + 4*time.Minute})
		o := outcome{res: res}
		var ce *xenlab.CreateError
		switch {
		case errors.As(err, &ce):
			o.why = "xl create fails: " + xlError(ce.Errors)
		case err != nil:
			log.Fatalf("%d MiB: the harness failed: %v", mem, err)
		default:
			st, serr := res.Status()
			switch {
			case serr != nil:
				o.why = "shutdown " + res.Shutdown + ", console: " + firstLine(string(res.Console))
			case st != 0:
				o.why = fmt.Sprintf("exit status %d, console: %s", st, firstLine(string(res.Console)))
			case !bytes.Equal(res.Console, want):
				o.why = fmt.Sprintf("console %q", res.Console)
			default:
				o.pass = true
			}
		}
		if o.pass {
			os.RemoveAll(res.WorkDir)
			log.Printf("%d MiB: pass; guest %.2f s, QEMU %.1f s", mem, res.GuestTime.Seconds(), res.WallTime.Seconds())
		} else {
			log.Printf("%d MiB: FAIL: %s (logs in %s)", mem, o.why, res.WorkDir)
		}
		return o
	}

	var guest, wall []time.Duration
	for i := 0; i < *runs; i++ {
		o := boot(64)
		if !o.pass {
			log.Fatalf("hello fails at 64 MiB: %s", o.why)
		}
		guest = append(guest, o.res.GuestTime)
		wall = append(wall, o.res.WallTime)
	}
	fmt.Printf("| examples/hello under Xen 4.17 (nested in QEMU TCG), -target %s, %d bytes | value |\n|---|---:|\n", *target, pr.Build.Size)
	fmt.Printf("| guest part: `xl create` → domain end, median of %d (min … max) | %s (%s … %s) |\n",
		*runs, secs(runstats.Median(guest)), secs(slices.Min(guest)), secs(slices.Max(guest)))
	fmt.Printf("| whole QEMU run for scale: Xen + dom0 boot, guest, report; median of %d | %.1f s |\n", *runs, runstats.Median(wall).Seconds())
	if *noMem {
		return
	}
	// Bisection: hi passes, lo fails (0 MiB fails by definition).
	hi, lo := *maxMem, 0
	if *maxMem != 64 {
		if o := boot(hi); !o.pass {
			log.Fatalf("hello fails at -maxmem %d MiB: %s", hi, o.why)
		}
	}
	loWhy := "0 MiB (not tried)"
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if o := boot(mid); o.pass {
			hi = mid
		} else {
			lo, loWhy = mid, o.why
		}
	}
	fmt.Printf("| smallest `memory` at which hello passes (bisection 0 … %d MiB) | %d MiB |\n", *maxMem, hi)
	fmt.Printf("| at %d MiB | %s |\n", lo, strings.ReplaceAll(loWhy, "|", "\\|"))
}

// xlError picks the most telling line of xl create's errors: libxc's (the domain builder's) first,
// else libxl's first.
func xlError(errs string) string {
	lines := strings.Split(errs, "\n")
	for _, prefix := range []string{"xc: error: ", "libxl: error: "} {
		for _, l := range lines {
			if _, msg, ok := strings.Cut(l, prefix); ok {
				return strings.TrimSpace(msg)
			}
		}
	}
	return firstLine(errs)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
