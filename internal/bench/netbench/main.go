// Command netbench measures examples/http as a unikgen kernel against the same program as a
// static Linux binary in a Linux microVM (Debian's kernel, the binary started by a small /init,
// the virtio-net modules in the initramfs), under the same QEMU, machine (q35), NIC model
// (virtio-net-pci), user networking and client, in interleaved runs, and prints markdown tables
// for docs/benchmarks.md:
//
//   - requests per second and latency percentiles with wrk, on keep-alive connections and with a
//     new connection per request (Connection: close);
//   - boot to first response: from starting QEMU to the first HTTP 200;
//   - image size: the kernel image against bzImage plus initramfs;
//   - the smallest memory (-m) at which each serves, by bisection;
//   - examples/hello specialised against generic.
//
// With -net tap (as root; needs iproute2) both guests are on a tap in a private network
// namespace instead of QEMU's user networking, with 10.0.2.15/24 configured statically (the Linux
// /init does the same), and the whole benchmark runs inside the namespace: libslirp, which costs
// both guests alike and loses requests under load (docs/network.md), is out of the measurement.
//
// Usage (from the module root; needs wrk, and the Debian kernel package that internal/host/xenlab
// caches, fetched on first use):
//
//	go run ./internal/bench/netbench [-n 3] [-d 10s] [-c 8] [-nomem] [-net user|tap]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/linuxvm"
	"github.com/unikgen/unikgen/internal/bench/runstats"
	"github.com/unikgen/unikgen/internal/host/qemu"
)

var (
	rounds  = flag.Int("n", 3, "interleaved rounds of each measurement")
	dur     = flag.Duration("d", 10*time.Second, "duration of each wrk run")
	conns   = flag.Int("c", 8, "wrk connections")
	noMem   = flag.Bool("nomem", false, "skip the memory bisection")
	memMiB  = flag.Int("m", 256, "guest memory of the throughput and boot runs")
	netMode = flag.String("net", "user", "user: QEMU's user networking, a forwarded port; tap: a tap in a private network namespace (root)")
	machine = flag.String("machine", qemu.Q35, "QEMU machine of the comparison (Debian's kernel hangs calibrating the TSC on microvm under TCG)")
)

// The Linux baseline's modules, in load order, each after what its modinfo "depends=" names
// (Debian linux-image-6.1: all of virtio is =m).
var modules = []string{
	"kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko", "kernel/net/core/failover.ko",
	"kernel/drivers/net/net_failover.ko", "kernel/drivers/net/virtio_net.ko",
}

// A system under test: a way to boot examples/http.
type sut struct {
	name string
	cfg  qemu.Config // Kernel, Initrd, RawCmdline
	size int64       // bytes of what it boots from
}

func main() {
	benchcmd.Start("netbench", true)
	for _, tool := range []string{"wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			log.Fatalf("%s not found (Debian package %s)", tool, tool)
		}
	}
	switch {
	case *netMode == "tap" && os.Getenv(netnsEnv) == "":
		os.Exit(inNetns())
	case *netMode != "tap" && *netMode != "user":
		log.Fatalf("-net %s: want user or tap", *netMode)
	}
	ctx := context.Background()
	tmp := benchcmd.TempDir("netbench")
	defer os.RemoveAll(tmp)

	uni := unikernel(ctx, tmp, "./examples/http", false)
	lin := linuxVM(ctx, tmp)
	systems := []sut{
		{name: "unikgen", cfg: qemu.Config{Kernel: uni, Env: guestEnv()}, size: runstats.FileSize(uni)},
		lin,
	}
	network := "user networking"
	if *netMode == "tap" {
		network = "a tap in a private network namespace"
	}
	fmt.Printf("Measured %s: QEMU %s TCG, machine %s, virtio-net-pci, %s, -m %d, wrk -t1 -c%d -d%v; %s, %d host CPUs (load average %s).\n\n",
		time.Now().UTC().Format("2006-01-02"), runstats.QEMUVersion(), *machine, network, *memMiB, *conns, *dur, runtime.Version(), runtime.NumCPU(), runstats.LoadAverage())

	type result struct {
		boot                             []time.Duration
		rpsKeep, p99Keep, rpsNew, p99New []float64
	}
	res := make([]result, len(systems))
	benchcmd.Interleave(*rounds, len(systems), func(round, i int) {
		s := systems[i]
		b, rk, pk, rn, pn, err := measure(ctx, s)
		if err != nil {
			log.Fatalf("%s: %v", s.name, err)
		}
		r := &res[i]
		r.boot = append(r.boot, b)
		r.rpsKeep, r.p99Keep = append(r.rpsKeep, rk), append(r.p99Keep, pk)
		r.rpsNew, r.p99New = append(r.rpsNew, rn), append(r.p99New, pn)
		log.Printf("round %d %s: boot %v, keep-alive %.0f req/s p99 %.2f ms, new connections %.0f req/s p99 %.2f ms",
			round, s.name, b.Round(time.Millisecond), rk, pk, rn, pn)
	})
	u, l := res[0], res[1]
	fmt.Println("| examples/http | unikgen | Linux microVM | unikgen / Linux | target |")
	fmt.Println("|---|---:|---:|---:|---|")
	row := func(name, unit string, a, b float64, target string) {
		fmt.Printf("| %s | %.1f %s | %.1f %s | %.2f× | %s |\n", name, a, unit, b, unit, a/b, target)
	}
	row("requests/s, keep-alive", "", runstats.Median(u.rpsKeep), runstats.Median(l.rpsKeep), "≥ 1.0×")
	row("p99 latency, keep-alive", "ms", runstats.Median(u.p99Keep), runstats.Median(l.p99Keep), "")
	row("requests/s, new connection each", "", runstats.Median(u.rpsNew), runstats.Median(l.rpsNew), "≥ 1.0×")
	row("p99 latency, new connection each", "ms", runstats.Median(u.p99New), runstats.Median(l.p99New), "")
	row("boot to first response", "s", runstats.Median(u.boot).Seconds(), runstats.Median(l.boot).Seconds(), "≤ 0.1×")
	row("image (kernel; bzImage + initramfs)", "MB", float64(systems[0].size)/1e6, float64(lin.size)/1e6, "≤ 0.5×")
	if !*noMem {
		mu := floor(ctx, systems[0], 4, 256)
		ml := floor(ctx, lin, 32, 512)
		row("smallest memory that serves", "MiB", float64(mu), float64(ml), "≤ 0.25×")
	}
	fmt.Printf("\nMedians of %d interleaved rounds; each round boots each system afresh.\n\n", *rounds)

	// Specialisation.
	spec := unikernel(ctx, tmp, "./examples/hello", false)
	generic := unikernel(ctx, tmp, "./examples/hello", true)
	fmt.Println("| examples/hello | bytes | vs generic |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| generic (every component, every system call) | %d | 1.00× |\n", runstats.FileSize(generic))
	fmt.Printf("| specialised | %d | %.2f× (target ≤ 0.5×) |\n", runstats.FileSize(spec), float64(runstats.FileSize(spec))/float64(runstats.FileSize(generic)))
}

// measure boots s, times the first response, runs wrk with and without keep-alive, and stops it.
func measure(ctx context.Context, s sut) (boot time.Duration, rpsKeep, p99Keep, rpsNew, p99New float64, err error) {
	url, stop, boot, err := start(ctx, s, *memMiB, 180*time.Second)
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	defer stop()
	if rpsKeep, p99Keep, err = wrk(url, false); err != nil {
		return
	}
	rpsNew, p99New, err = wrk(url, true)
	return
}

// start boots s with mem MiB and a forwarded port, and waits for its first HTTP 200. It returns
// the URL, a function that stops the machine, and the time from starting QEMU to the response.
func start(ctx context.Context, s sut, mem int, wait time.Duration) (string, func(), time.Duration, error) {
	cfg := s.cfg
	cfg.Machine, cfg.MemoryMiB = *machine, mem
	url := "http://" + guestAddr + "/"
	if *netMode == "tap" {
		cfg.Net = qemu.NetTap + tapName
	} else {
		port := benchcmd.FreePort()
		fw, _ := qemu.ParseForward(fmt.Sprintf("%d:80", port))
		cfg.Net, cfg.Forwards = qemu.NetUser, []qemu.Forward{fw}
		url = fmt.Sprintf("http://127.0.0.1:%d/", port)
	}
	var console bytes.Buffer
	cfg.Console = &console
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		_, err := qemu.Run(ctx, cfg)
		done <- err
	}()
	stop := func() {
		cancel()
		<-done
	}
	// Short attempts: a connection made before the guest listens is held by QEMU's user
	// networking until its SYN retransmission (a second), which would be measured instead of
	// the boot.
	c := &http.Client{Timeout: 250 * time.Millisecond}
	for time.Since(t0) < wait {
		select {
		case err := <-done:
			cancel()
			return "", func() {}, 0, fmt.Errorf("the machine stopped (%v): %s", err, tail(console.String()))
		default:
		}
		if resp, err := c.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, stop, time.Since(t0), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", func() {}, 0, fmt.Errorf("no response within %v: %s", wait, tail(console.String()))
}

var (
	rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99RE = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`)
)

// wrk runs wrk against url and returns requests per second and the p99 latency in ms.
func wrk(url string, closeEach bool) (float64, float64, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(*conns), "-d" + dur.String(), "--latency", "--timeout", "10s"}
	if closeEach {
		args = append(args, "-H", "Connection: close")
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	m, p := rpsRE.FindSubmatch(out), p99RE.FindSubmatch(out)
	if m == nil || p == nil {
		return 0, 0, fmt.Errorf("wrk printed no rate or p99:\n%s", out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) && !closeEach {
		log.Printf("wrk reported errors:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	p99, _ := strconv.ParseFloat(string(p[1]), 64)
	switch string(p[2]) {
	case "us":
		p99 /= 1000
	case "s":
		p99 *= 1000
	}
	return rps, p99, nil
}

// floor bisects the smallest memory in [lo, hi] MiB at which s boots and serves.
func floor(ctx context.Context, s sut, lo, hi int) int {
	serves := func(m int) bool {
		_, stop, _, err := start(ctx, s, m, 120*time.Second)
		if err == nil {
			stop()
		}
		log.Printf("%s at %d MiB: serves %v", s.name, m, err == nil)
		return err == nil
	}
	if !serves(hi) {
		return -1
	}
	for lo < hi {
		m := (lo + hi) / 2
		if serves(m) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return hi
}

// unikernel builds pkg, specialised or generic.
func unikernel(ctx context.Context, dir, pkg string, generic bool) string {
	return benchcmd.Kernel(ctx, dir, pkg, generic)
}

func tail(s string) string { return benchcmd.Tail(s, 2000) }

// The tap network: the namespace's side of the tap has QEMU user networking's host address, and
// the guests its guest address, so that the Linux /init serves either network unchanged.
const (
	netnsEnv  = "NETBENCH_NETNS" // set inside the namespace
	tapName   = "nbtap0"
	hostAddr  = "10.0.2.2/24"
	guestAddr = "10.0.2.15"
)

// guestEnv is the unikernel's boot-time network configuration: DHCP from user networking, or the
// Linux guest's static address on the tap.
func guestEnv() []string {
	if *netMode == "tap" {
		return []string{"UNIKGEN_NET_IPV4=" + guestAddr + "/24", "UNIKGEN_NET_GATEWAY4=10.0.2.2"}
	}
	return nil
}

// inNetns creates a network namespace with a tap, runs this benchmark again inside it, removes
// the namespace and returns the benchmark's exit status.
func inNetns() int {
	if os.Geteuid() != 0 {
		log.Fatal("-net tap needs root (a network namespace and a tap interface)")
	}
	name := fmt.Sprintf("netbench%d", os.Getpid())
	ip := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			log.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", name)
	defer exec.Command("ip", "netns", "delete", name).Run()
	ip("-n", name, "link", "set", "lo", "up")
	ip("-n", name, "tuntap", "add", "dev", tapName, "mode", "tap")
	ip("-n", name, "addr", "add", hostAddr, "dev", tapName)
	ip("-n", name, "link", "set", tapName, "up")
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", name, self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"="+name)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if x, ok := err.(*exec.ExitError); ok {
			return x.ExitCode()
		}
		log.Fatal(err)
	}
	return 0
}

// linuxVM is the Linux baseline: Debian's kernel with the virtio-net modules, linuxinit as /init
// and examples/http as /app.
func linuxVM(ctx context.Context, dir string) sut {
	kernel, initrd, err := linuxvm.Build(ctx, dir, linuxvm.Guest{Init: "./internal/bench/netbench/linuxinit", App: "./examples/http", Modules: modules})
	if err != nil {
		log.Fatal(err)
	}
	return sut{
		name: "linux",
		cfg:  qemu.Config{Kernel: kernel, Initrd: initrd, RawCmdline: "console=ttyS0 quiet panic=-1"},
		size: runstats.FileSize(kernel) + runstats.FileSize(initrd),
	}
}
