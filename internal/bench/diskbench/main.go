// Command diskbench measures file and block input/output of one Go program
// (internal/bench/diskbench/prog) as a unikgen kernel against the same program as a static Linux
// binary in a Linux microVM (Debian's kernel, the binary started by linuxinit, the virtio-blk and
// ext4 modules in the initramfs), under the same QEMU, machine (q35), drives (virtio-blk-pci,
// QEMU's default writeback cache) and memory, in interleaved runs, and prints markdown tables for
// docs/benchmarks.md:
//
//   - sequential and random 4 KiB write and read throughput, on a file of the ext3 volume
//     mounted at /data (unikgen: services/fs/extfs; Linux: its ext4 driver mounting ext3) and
//     on the raw block device /dev/vdb;
//   - fsync latency (a 4 KiB pwrite then fsync), median and 99th percentile;
//   - the image-size cost of the file layer: examples/hello (no files) specialised and generic,
//     and prog specialised, with the bytes of the volume and block-driver code it links.
//
// Each boot gets a fresh volume image (made by services/fs/extfs/mkfs) and a fresh raw image.
//
// Usage (from the module root; needs the Debian kernel package that internal/xenlab caches,
// fetched on first use):
//
//	go run ./internal/bench/diskbench [-n 3] [-size 32]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/linuxvm"
	"github.com/unikgen/unikgen/internal/bench/runstats"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

var (
	rounds  = flag.Int("n", 3, "interleaved rounds")
	sizeMiB = flag.Int("size", 32, "MiB written and read by each throughput test")
	memMiB  = flag.Int("m", 256, "guest memory")
	machine = flag.String("machine", qemu.Q35, "QEMU machine (Debian's kernel hangs calibrating the TSC on microvm under TCG)")
)

// The Linux baseline's modules, in load order, each after what its modinfo "depends=" names
// (Debian linux-image-6.1: virtio, virtio-blk, ext4 and jbd2 are =m).
var modules = []string{
	"kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko", "kernel/drivers/block/virtio_blk.ko",
	"kernel/crypto/crc32c_generic.ko", "kernel/lib/crc16.ko", "kernel/fs/mbcache.ko",
	"kernel/fs/jbd2/jbd2.ko", "kernel/fs/ext4/ext4.ko",
}

const prog = "./internal/bench/diskbench/prog"

// The targets prog measures: a file on the volume (/dev/vda) and the raw device /dev/vdb.
var targets = []string{"/data/bench", "/dev/vdb"}

var tests = []struct{ name, label, target string }{
	{"seqwrite", "sequential 4 KiB writes + fsync", "≥ 0.8×"},
	{"seqread", "sequential 4 KiB reads", "≥ 0.8×"},
	{"randwrite", "random 4 KiB writes + fsync", "≥ 0.8×"},
	{"randread", "random 4 KiB reads", "≥ 0.8×"},
	{"fsync-p50", "4 KiB write + fsync, median", ""},
	{"fsync-p99", "4 KiB write + fsync, p99", ""},
}

type system struct {
	name string
	cfg  qemu.Config
}

func main() {
	benchcmd.Start("diskbench", true)
	ctx := context.Background()
	tmp := benchcmd.TempDir("diskbench")
	defer os.RemoveAll(tmp)

	uni := unikernel(ctx, tmp, prog, false)
	args := append([]string{strconv.Itoa(*sizeMiB)}, targets...)
	systems := []system{
		{"unikgen", qemu.Config{Kernel: uni, Args: args}},
		linuxVM(ctx, tmp, args),
	}
	fmt.Printf("Measured %s: QEMU %s TCG, machine %s, virtio-blk-pci drives (raw image files, writeback cache), -m %d, %d MiB per throughput test; %s, %d host CPUs (load average %s).\n\n",
		time.Now().UTC().Format("2006-01-02"), runstats.QEMUVersion(), *machine, *memMiB, *sizeMiB, runtime.Version(), runtime.NumCPU(), runstats.LoadAverage())

	// res[system][target+" "+test] are the values of the rounds.
	res := []map[string][]float64{{}, {}}
	benchcmd.Interleave(*rounds, len(systems), func(round, i int) {
		vals, err := measure(ctx, systems[i], tmp)
		if err != nil {
			log.Fatalf("%s: %v", systems[i].name, err)
		}
		for k, v := range vals {
			res[i][k] = append(res[i][k], v)
		}
		log.Printf("round %d %s: %v", round, systems[i].name, vals)
	})
	for _, tg := range targets {
		what := "a file on the ext3 volume (/data)"
		if strings.HasPrefix(tg, "/dev/") {
			what = "the raw block device " + tg
		}
		fmt.Printf("| %s | unikgen | Linux microVM | unikgen / Linux | target |\n|---|---:|---:|---:|---|\n", what)
		for _, t := range tests {
			k := tg + " " + t.name
			u, l := runstats.Median(res[0][k]), runstats.Median(res[1][k])
			unit := "MB/s"
			if strings.HasPrefix(t.name, "fsync") {
				unit = "ms"
			}
			fmt.Printf("| %s | %.2f %s | %.2f %s | %.2f× | %s |\n", t.label, u, unit, l, unit, u/l, t.target)
		}
		fmt.Println()
	}
	fmt.Printf("Medians of %d interleaved rounds; each round boots each system afresh on new images.\n\n", *rounds)

	// The file layer's image-size cost.
	helloSpec := unikernel(ctx, tmp, "./examples/hello", false)
	helloGen := unikernel(ctx, tmp, "./examples/hello", true)
	fmt.Println("| kernel | bytes | volume and block code linked |")
	fmt.Println("|---|---:|---:|")
	for _, k := range []struct{ name, file string }{
		{"examples/hello specialised (no files)", helloSpec},
		{"examples/hello generic (every component)", helloGen},
		{"diskbench/prog specialised (a volume, /dev/vdb)", uni},
	} {
		fmt.Printf("| %s | %d | %d |\n", k.name, runstats.FileSize(k.file), fileLayerBytes(k.file))
	}
}

// measure boots s on fresh images and returns prog's results, keyed "TARGET TEST".
func measure(ctx context.Context, s system, dir string) (map[string]float64, error) {
	vol, raw := filepath.Join(dir, "vol.img"), filepath.Join(dir, "raw.img")
	volSize := int64(*sizeMiB)*2<<20 + 32<<20
	for _, p := range []string{vol, raw} {
		os.Remove(p)
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		err = f.Truncate(volSize)
		if err == nil && p == vol {
			err = mkfs.Format(f, volSize, mkfs.Options{Zeroed: true})
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	cfg := s.cfg
	cfg.Machine, cfg.MemoryMiB, cfg.Timeout = *machine, *memMiB, 30*time.Minute
	cfg.Drives = []qemu.Drive{{File: vol}, {File: raw}}
	var console bytes.Buffer
	cfg.Console = &console
	_, err := qemu.Run(ctx, cfg)
	out := console.String()
	// Linux powers off after prog, which internal/qemu reports as a reset without an exit
	// status: prog's last line says it finished.
	if err != nil && (s.name == "unikgen" || !strings.Contains(out, "diskbench done")) {
		return nil, fmt.Errorf("%v: %s", err, tail(out))
	}
	if !strings.Contains(out, "diskbench done") {
		return nil, fmt.Errorf("prog did not finish: %s", tail(out))
	}
	vals := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(strings.TrimSpace(sc.Text()))
		if len(f) == 5 && f[0] == "result" {
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", sc.Text(), err)
			}
			vals[f[1]+" "+f[2]] = v
		}
	}
	if len(vals) != len(targets)*len(tests) {
		return nil, fmt.Errorf("%d results, want %d: %s", len(vals), len(targets)*len(tests), tail(out))
	}
	return vals, nil
}

// fileLayerBytes sums the sizes of the kernel's symbols from the volume file system
// (services/fs/extfs) and the virtio block driver (drivers/virtio/blk, services/fs/virtioblk).
func fileLayerBytes(kernel string) int64 {
	out, err := exec.Command("go", "tool", "nm", "-size", kernel).Output()
	if err != nil {
		log.Fatalf("go tool nm: %v", err)
	}
	var n int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		name := f[3]
		if strings.Contains(name, "services/fs/extfs") || strings.Contains(name, "drivers/virtio/blk") || strings.Contains(name, "services/fs/virtioblk") {
			s, _ := strconv.ParseInt(f[1], 10, 64)
			n += s
		}
	}
	return n
}

// unikernel builds pkg, specialised or generic.
func unikernel(ctx context.Context, dir, pkg string, generic bool) string {
	return benchcmd.Kernel(ctx, dir, pkg, generic)
}

func tail(s string) string { return benchcmd.Tail(s, 3000) }

// linuxVM is the Linux baseline: Debian's kernel with the virtio-blk and ext4 modules,
// linuxinit as /init and prog as /app; args go to /app.
func linuxVM(ctx context.Context, dir string, args []string) system {
	kernel, initrd, err := linuxvm.Build(ctx, dir, linuxvm.Guest{Init: "./internal/bench/diskbench/linuxinit", App: prog, Modules: modules})
	if err != nil {
		log.Fatal(err)
	}
	return system{"linux", qemu.Config{Kernel: kernel, Initrd: initrd,
		RawCmdline: "console=ttyS0 quiet panic=-1 -- " + strings.Join(args, " ")}}
}
