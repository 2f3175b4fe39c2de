// Command bench measures the wall time and peak memory of unikgen's
// whole-program analysis (analysis.Analyze) on small programs:
//
//	go run ./analysis/bench [-n 3] [-json] [PATTERN...]
//
// run from the repository root. Without patterns it measures hello,
// goroutines and a net/http server (analysis/testdata). Each measurement
// runs in a fresh child process, so that the peak resident set size
// (VmHWM in /proc/self/status) belongs to one analysis; the go command's
// own processes (go list) are not included. One warm-up run per program
// fills the build and page caches; the table shows the median of -n runs
// and the largest peak.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/analysis"
)

type sample struct {
	Pattern      string  `json:"pattern"`
	WallSeconds  float64 `json:"wall_s"`
	CPUSeconds   float64 `json:"cpu_s"` // user+system, this process and its children (go list)
	PeakMB       float64 `json:"peak_mb"`
	Packages     int     `json:"packages"`
	Reachable    int     `json:"reachable"`
	Syscalls     int     `json:"syscalls"`
	Capabilities int     `json:"capabilities"`
}

var defaults = []string{
	"./analysis/testdata/hello",
	"./analysis/testdata/goroutines",
	"./analysis/testdata/httpserver",
}

func main() {
	log.SetPrefix("bench: ")
	log.SetFlags(0)
	child := flag.Bool("child", false, "measure one analysis and print it as JSON (internal)")
	n := flag.Int("n", 3, "runs per program")
	asJSON := flag.Bool("json", false, "print the samples as JSON")
	flag.Parse()
	if *child {
		s, err := measure(flag.Arg(0))
		if err != nil {
			log.Fatal(err)
		}
		json.NewEncoder(os.Stdout).Encode(s)
		return
	}
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = defaults
	}
	var rows [][]sample
	for _, p := range patterns {
		if _, err := runChild(p); err != nil { // warm-up
			log.Fatal(err)
		}
		var runs []sample
		for i := 0; i < *n; i++ {
			s, err := runChild(p)
			if err != nil {
				log.Fatal(err)
			}
			runs = append(runs, s)
		}
		rows = append(rows, runs)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(rows)
		return
	}
	fmt.Printf("`go run ./analysis/bench -n %d` (%s, %s, load average %s)\n\n", *n,
		time.Now().UTC().Format("2006-01-02"), goVersion(), loadAvg())
	fmt.Println("| program | packages | reachable funcs | syscalls | capabilities | wall (median, range) | CPU (median) | peak RSS (max) |")
	fmt.Println("|---|---:|---:|---:|---:|---|---:|---:|")
	for _, runs := range rows {
		walls := make([]float64, len(runs))
		cpus := make([]float64, len(runs))
		peak := 0.0
		for i, r := range runs {
			walls[i] = r.WallSeconds
			cpus[i] = r.CPUSeconds
			peak = max(peak, r.PeakMB)
		}
		sort.Float64s(walls)
		sort.Float64s(cpus)
		r := runs[0]
		fmt.Printf("| %s | %d | %d | %d | %d | %.2f s (%.2f–%.2f) | %.2f s | %.0f MB |\n",
			strings.TrimPrefix(r.Pattern, "./analysis/testdata/"), r.Packages, r.Reachable, r.Syscalls,
			r.Capabilities, walls[len(walls)/2], walls[0], walls[len(walls)-1], cpus[len(cpus)/2], peak)
	}
}

func runChild(pattern string) (sample, error) {
	cmd := exec.Command(os.Args[0], "-child", pattern)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v", pattern, err)
	}
	var s sample
	err = json.Unmarshal(out, &s)
	return s, err
}

func measure(pattern string) (sample, error) {
	t0 := time.Now()
	r, err := analysis.Analyze(context.Background(), analysis.Config{Patterns: []string{pattern}})
	if err != nil {
		return sample{}, err
	}
	wall := time.Since(t0).Seconds()
	return sample{
		Pattern:      pattern,
		WallSeconds:  wall,
		CPUSeconds:   cpuSeconds(),
		PeakMB:       float64(vmHWM()) / 1024,
		Packages:     r.Stats.Packages,
		Reachable:    r.Stats.Reachable,
		Syscalls:     len(r.Syscalls.Calls),
		Capabilities: len(r.Capabilities),
	}, nil
}

// cpuSeconds returns the user and system time of this process and its
// waited-for children.
func cpuSeconds() float64 {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	sec := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return sec(self.Utime) + sec(self.Stime) + sec(kids.Utime) + sec(kids.Stime)
}

// vmHWM returns the peak resident set size of this process in KiB.
func vmHWM() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(rest))
			if len(f) > 0 {
				kb, _ := strconv.Atoi(f[0])
				return kb
			}
		}
	}
	return 0
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "go"
	}
	return strings.TrimSpace(string(out))
}
