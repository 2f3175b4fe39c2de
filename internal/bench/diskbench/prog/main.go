// Command prog is the program internal/bench/diskbench runs, unchanged, as a unikgen kernel and
// as a static Linux binary in a Linux microVM. For each target of its arguments (a file on the
// volume at /data, or a block device) it measures, with 4 KiB requests over SIZE MiB:
// sequential write (then fsync), sequential read, random pwrite (then fsync), random pread, and
// the latency of a 4 KiB pwrite followed by fsync. It prints one line per measurement:
//
//	result TARGET TEST VALUE UNIT
//
// Before each read phase it asks Linux to drop its page cache (/proc/sys/vm/drop_caches), so that
// reads on both systems come from the device; the unikernel has no such file (and no data cache).
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{Target: config.QEMU, MemoryMiB: 256, Volumes: []config.Volume{{Path: "/data"}}}

const block = 4096

func main() {
	if len(os.Args) < 3 {
		fmt.Println("usage: prog SIZE_MIB TARGET...")
		os.Exit(2)
	}
	mib, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Println("bad size:", err)
		os.Exit(2)
	}
	for _, t := range os.Args[2:] {
		if err := bench(t, int64(mib)<<20); err != nil {
			fmt.Printf("error %s: %v\n", t, err)
			os.Exit(1)
		}
	}
	fmt.Println("diskbench done")
}

func dropCaches() {
	os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0)
}

func bench(target string, size int64) error {
	flags := os.O_RDWR
	if _, err := os.Stat(target); err != nil {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(target, flags, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, block)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	n := size / block
	mbps := func(d time.Duration) float64 { return float64(size) / d.Seconds() / 1e6 }
	report := func(test string, v float64, unit string) {
		fmt.Printf("result %s %s %.3f %s\n", target, test, v, unit)
	}

	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := f.WriteAt(buf, i*block); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	report("seqwrite", mbps(time.Since(t0)), "MB/s")

	dropCaches()
	t0 = time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := f.ReadAt(buf, i*block); err != nil {
			return err
		}
	}
	report("seqread", mbps(time.Since(t0)), "MB/s")

	rng := rand.New(rand.NewPCG(1, 2))
	t0 = time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := f.WriteAt(buf, rng.Int64N(n)*block); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	report("randwrite", mbps(time.Since(t0)), "MB/s")

	dropCaches()
	t0 = time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := f.ReadAt(buf, rng.Int64N(n)*block); err != nil {
			return err
		}
	}
	report("randread", mbps(time.Since(t0)), "MB/s")

	var lat []time.Duration
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, rng.Int64N(n)*block); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	report("fsync-p50", float64(lat[len(lat)/2].Microseconds())/1000, "ms")
	report("fsync-p99", float64(lat[len(lat)*99/100].Microseconds())/1000, "ms")
	return nil
}
