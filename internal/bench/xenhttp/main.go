// Command xenhttp compares examples/http under real Xen 4.17 (nested in QEMU TCG,
// internal/xenlab, netfront to dom0's netback and bridge) with the same image under QEMU alone
// (TCG, virtio-net, user networking with a forwarded port), in one run, and finds the smallest
// xl `memory` at which it still serves under Xen. It prints a markdown table for
// docs/benchmarks.md.
//
// The image is built once with the generic target (the same file boots on both). The client is
// internal/boottest/testdata/dom0client (`load`: -n requests over -c keep-alive connections,
// each must answer 200 with the page): in dom0 for Xen, on the host for QEMU. Under Xen every
// domain is a step of the same harness boot: first the throughput run at -mem MiB, then one
// domain per size of -sizes, each of which must answer 20 requests.
//
// Usage (from the module root):
//
//	go run ./internal/bench/xenhttp [-n 500] [-c 8] [-mem 128] [-sizes 64,48,32,24,16]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/host/xenlab"
)

var (
	n     = flag.Int("n", 500, "requests of the throughput runs")
	c     = flag.Int("c", 8, "connections of the throughput runs")
	mem   = flag.Int("mem", 128, "memory (MiB) of the throughput runs")
	sizes = flag.String("sizes", "64,48,32,24,16", "memory sizes (MiB) tried under Xen, each with 20 requests")
)

const want = "Hello from a unikernel!"

func main() {
	flag.Parse()
	log.SetFlags(0)
	dir := benchcmd.TempDir("xenhttp")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	img := filepath.Join(dir, "http.xen")
	if _, err := build.Build(ctx, build.Options{Dir: ".", Package: "./examples/http", Output: img}); err != nil {
		log.Fatalf("building examples/http: %v", err)
	}
	client := filepath.Join(dir, "dom0client")
	cmd := exec.Command("go", "build", "-trimpath", "-o", client, "./internal/boottest/testdata/dom0client")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("building the client: %v\n%s", err, out)
	}
	clientBin, err := os.ReadFile(client)
	if err != nil {
		log.Fatal(err)
	}

	// QEMU alone.
	qline := qemuRun(ctx, img, client)

	// Xen: the throughput run, then the memory sizes.
	if err := xenlab.EnsureCache(ctx, "", os.Stderr); err != nil {
		log.Fatal(err)
	}
	xl := func(m int) string {
		var b bytes.Buffer
		if err := deploy.XLConfig(&b, deploy.XLParams{Name: "http", Kernel: img, MemoryMiB: m, VCPUs: 1,
			VIFs: []deploy.VIF{{Bridge: "xenbr0"}}}); err != nil {
			log.Fatal(err)
		}
		return b.String()
	}
	script := func(n, c int) string {
		return fmt.Sprintf("/bin/dom0client load -n %d -c %d -want '%s' -wait 120s http://$GUEST_IP/; rc=$?\nxl destroy $NAME\nexit $rc\n", n, c, want)
	}
	var ms []int
	for _, s := range strings.Split(*sizes, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatalf("-sizes: %v", err)
		}
		ms = append(ms, m)
	}
	opts := xenlab.RunOptions{Image: img, XLConfig: xl(*mem), Wait: 240 * time.Second, Dom0: script(*n, *c),
		Files: map[string][]byte{"bin/dom0client": clientBin}, Log: os.Stderr}
	for _, m := range ms {
		opts.Steps = append(opts.Steps, xenlab.Step{XLConfig: xl(m), Wait: 150 * time.Second, Dom0: script(20, 2)})
	}
	res, err := xenlab.Run(ctx, opts)
	if err != nil {
		log.Fatalf("xenlab: %v", err)
	}
	fmt.Printf("| examples/http, %d requests over %d connections, %d MiB | requests/s | failed |\n|---|---|---|\n", *n, *c, *mem)
	fmt.Printf("| Xen 4.17 nested in QEMU TCG, netfront, dom0 client | %s |\n", loadCells(string(res.Dom0Output)))
	fmt.Printf("| QEMU TCG alone, virtio-net, user networking, host client | %s |\n\n", qline)
	smallest := 0
	for i, m := range ms {
		r := res.Steps[i]
		ok := r.Dom0Status == 0
		fmt.Printf("Xen, memory = %d MiB: %s (%s)\n\n", m, map[bool]string{true: "serves", false: "FAILS"}[ok],
			strings.TrimSpace(lastLine(string(r.Dom0Output))+" "+lastLine(string(r.Console))))
		if ok {
			smallest = m
		}
	}
	fmt.Printf("smallest memory tried that serves under Xen: %d MiB\n", smallest)
}

var loadRE = regexp.MustCompile(`(\d+) failed, ([0-9.]+) requests/s`)

func loadCells(out string) string {
	m := loadRE.FindStringSubmatch(out)
	if m == nil {
		return "no result: " + strings.ReplaceAll(strings.TrimSpace(out), "\n", " ") + " | |"
	}
	return m[2] + " | " + m[1]
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// qemuRun boots img under QEMU with port 80 forwarded and runs the client against it.
func qemuRun(ctx context.Context, img, client string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	f, err := qemu.ParseForward(fmt.Sprintf("%d:80", port))
	if err != nil {
		log.Fatal(err)
	}
	qctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		qemu.Run(qctx, qemu.Config{Kernel: img, MemoryMiB: *mem, Net: qemu.NetUser, Forwards: []qemu.Forward{f}, Timeout: 10 * time.Minute})
		close(done)
	}()
	out, _ := exec.Command(client, "load", "-n", strconv.Itoa(*n), "-c", strconv.Itoa(*c), "-want", want, "-wait", "120s",
		fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput()
	cancel()
	<-done
	fmt.Fprintf(os.Stderr, "qemu: %s", out)
	return loadCells(string(out))
}
