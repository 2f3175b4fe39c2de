// Command consolebench measures the console's output throughput side by side in one run and
// prints a markdown table for docs/benchmarks.md: a kernel writing the numbered lines of
// internal/consoletest to standard output, one write(2) per 100-byte line and in blocks of about
// 32 KiB, through the virtio console (what unikgen run gives a program) and through the 16550
// UART (internal/host/qemu.Config.SerialOutput: the console before the virtio console), and the same
// program as a Linux binary writing to a pipe. Every run's output is checked line by line as it
// arrives: a lost or reordered byte fails the benchmark.
//
// Usage (from the module root):
//
//	go run ./internal/bench/consolebench [-mb 10] [-serial-mb 2] [-n 3] [-machine microvm|q35]
//
// Times are wall times from starting QEMU to its exit, medians of -n runs; the "boot" row is the
// same kernel writing nothing, which the throughput column subtracts. The last column divides each
// throughput by the UART's with the same size of writes: for the virtio console, the gain.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/runstats"
	"github.com/unikgen/unikgen/internal/consoletest"
	"github.com/unikgen/unikgen/internal/host/qemu"
)

const pkg = "./internal/boottest/testdata/bigoutput"

var (
	mb       = flag.Int("mb", 10, "MB (10^6 bytes) written through the virtio console and by Linux")
	serialMB = flag.Float64("serial-mb", 2, "MB written through the UART (about 3 s per MB under TCG)")
	runs     = flag.Int("n", 3, "runs per variant (the table shows medians)")
	machine  = flag.String("machine", qemu.MicroVM, "QEMU machine: microvm or q35")
	timeout  = flag.Duration("timeout", 10*time.Minute, "timeout of each boot")
)

type variant struct {
	name   string
	bytes  int
	mode   string
	serial bool
	linux  bool
	wall   []time.Duration
}

func main() {
	benchcmd.Start("consolebench", true)
	ctx := context.Background()
	tmp := benchcmd.TempDir("consolebench")
	defer os.RemoveAll(tmp)
	img := benchcmd.Kernel(ctx, tmp, pkg, false) // as `unikgen build` makes it
	bin := benchcmd.LinuxBinary(tmp, pkg)        // with the kernel's flags

	n := *mb * 1e6
	sn := int(*serialMB*1e6) / consoletest.LineSize * consoletest.LineSize
	vs := []*variant{
		{name: "boot, no output", bytes: 0, mode: "lines"},
		{name: "virtio console, 100-byte writes", bytes: n, mode: "lines"},
		{name: "virtio console, 32 KiB writes", bytes: n, mode: "blocks"},
		{name: "UART, 100-byte writes", bytes: sn, mode: "lines", serial: true},
		{name: "UART, 32 KiB writes", bytes: sn, mode: "blocks", serial: true},
		{name: "Linux binary to a pipe, 100-byte writes", bytes: n, mode: "lines", linux: true},
		{name: "Linux binary to a pipe, 32 KiB writes", bytes: n, mode: "blocks", linux: true},
	}
	for r := 0; r < *runs; r++ {
		for _, v := range vs {
			d, err := v.run(ctx, img, bin)
			if err != nil {
				log.Fatalf("%s: %v", v.name, err)
			}
			v.wall = append(v.wall, d)
			log.Printf("run %d: %s: %v", r+1, v.name, d.Round(time.Millisecond))
		}
	}

	fmt.Printf("Measured %s on QEMU %s (%s, TCG), %s, %d CPUs; medians of %d runs.\n\n",
		time.Now().UTC().Format("2006-01-02"), runstats.QEMUVersion(), *machine, runtime.Version(), runtime.NumCPU(), *runs)
	boot := runstats.Median(vs[0].wall)
	rate := func(v *variant) float64 { // bytes per second
		d := runstats.Median(v.wall)
		if !v.linux {
			d -= boot
		}
		return float64(v.bytes) / d.Seconds()
	}
	uart := map[string]float64{} // the UART's rate for each way of writing
	for _, v := range vs {
		if v.serial {
			uart[v.mode] = rate(v)
		}
	}
	fmt.Printf("Load average at the end: %s.\n\n", runstats.LoadAverage())
	fmt.Println("| output | bytes | wall time | throughput (wall time less boot) | times the UART's (same writes) |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, v := range vs {
		tp, ratio := "", ""
		if v.bytes > 0 {
			r := rate(v)
			tp = fmt.Sprintf("%.3f MB/s", r/1e6)
			if u := uart[v.mode]; u > 0 {
				ratio = fmt.Sprintf("%.1f", r/u)
			}
		}
		fmt.Printf("| %s | %d | %.2f s | %s | %s |\n", v.name, v.bytes, runstats.Median(v.wall).Seconds(), tp, ratio)
	}
}

// run runs v once and checks its output.
func (v *variant) run(ctx context.Context, img, bin string) (time.Duration, error) {
	check := &consoletest.Checker{Lines: v.bytes / consoletest.LineSize}
	want := fmt.Sprintf("bigoutput: wrote %d bytes\n", v.bytes)
	var d time.Duration
	if v.linux {
		cmd := exec.Command(bin, consoletest.Args(v.bytes, v.mode)...)
		cmd.Stdout, cmd.Stderr = check, check
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, err
		}
		d = time.Since(t0)
	} else {
		res, err := qemu.Run(ctx, qemu.Config{Kernel: img, Machine: *machine, Args: consoletest.Args(v.bytes, v.mode),
			Console: check, SerialOutput: v.serial, Timeout: *timeout})
		if err != nil {
			return 0, err
		}
		if res.Status != 0 {
			return 0, fmt.Errorf("exit status %d; output ends with %q", res.Status, check.Tail())
		}
		d = res.Wall
	}
	if err := check.Err(); err != nil {
		return 0, err
	}
	if check.Tail() != want {
		return 0, fmt.Errorf("after the lines: %q, want %q", check.Tail(), want)
	}
	return d, nil
}
