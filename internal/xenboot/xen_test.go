package xenboot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/internal/bootcases"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/testenv"
	bootline "github.com/unikgen/unikgen/runtime/cmdline"
)

// xenPrograms run under real Xen. The first ones are entries of programs, with the same image and
// the same expectations as under QEMU (the generic root detects Xen at boot); xenstore is built
// with -target xen (only the Xen platform linked), as `unikgen run -target xen` builds.
var xenPrograms = []struct {
	name   string        // an entry of bootcases.Programs, or a program of its own (prog.Pkg set)
	target config.Target // "" is the generic root of TestBoot; else pipeline.Build with this target
	memory int           // the domain's memory in MiB; 0 is xenlab's default (64)
	stdin  []byte        // the program's standard input, written to its console by dom0
	prog   bootcases.Program
}{
	{name: "hello"},
	{name: "goroutines"},
	{name: "panic"},
	{name: "seal-write-text"},
	{name: "seal-exec-data"},
	{name: "seal-exec-heap"},
	{name: "stack-guard"},
	// Programs whose BSS ends in a large zero array: crypto/rand links a 32 MiB one
	// (crypto/internal/fips140/drbg.memory). The domain builder must not have to back it.
	{name: "random-16MiB", memory: 16, prog: bootcases.Program{Pkg: "internal/boottest/testdata/random", Status: 0,
		Exact: "crypto/rand ok: true\nmath/rand ok: true\n"}},
	{name: "bigbss-16MiB", memory: 16, prog: bootcases.Program{Pkg: "internal/boottest/testdata/bigbss", Status: 0,
		Exact: "zeros: true\nwrites kept: true\n"}},
	// Standard input through the PV console's input ring (the harness writes it to the domain's
	// console pty), as TestStdin has it under QEMU: lines then end of file; binary input larger
	// than the ring and than the kernel's input buffer.
	{name: "stdin-lines", stdin: []byte("hello\nworld\nno newline"), prog: bootcases.Program{Pkg: "internal/boottest/testdata/stdin",
		Args: []string{"upper"}, Status: 3, Exact: "1: HELLO\n2: WORLD\n3: NO NEWLINE\nend of input after 3 lines, error <nil>\n"}},
	{name: "stdin-binary", stdin: xenBinaryInput, prog: bootcases.Program{Pkg: "internal/boottest/testdata/stdin",
		Args: []string{"cat"}, Status: 0, Exact: string(xenBinaryInput) + "copied 20000 bytes, error <nil>\n"}},
	{name: "xenstore", target: config.Xen, prog: bootcases.Program{
		Pkg: "internal/boottest/testdata/xenstore", Status: 0,
		Exact: "write data/a: ok\n" +
			"read data/a: \"1\"\n" +
			"write data/b: ok\n" +
			"read data/b: \"two words, \\\"quoted\\\"\"\n" +
			"write data/dir/y: ok\n" +
			"write data/dir/x: ok\n" +
			"directory data/dir: [\"x\" \"y\"]\n" +
			"watch data/watched tok-1: ok\n" +
			"initial event: data/watched tok-1\n" +
			"write data/watched: ok\n" +
			"change event: data/watched tok-1\n" +
			"read data/watched: \"changed\"\n" +
			"unwatch: ok\n" +
			"rm data/dir: ok\n" +
			"read data/dir/x after rm is ENOENT: true\n" +
			"done\n",
	}},
}

// xenBinaryInput is 20000 bytes of every value, with runs of 0xFF.
var xenBinaryInput = func() []byte {
	b := make([]byte, 20000)
	for i := range b {
		b[i] = byte(i * 131 >> 3)
		if i%1000 < 20 {
			b[i] = 0xff
		}
	}
	return b
}()

// A xenStep is one domain of TestXen's single boot of the harness.
type xenStep struct {
	name    string
	stdin   []byte // the domain's standard input (xenlab.Step.Stdin)
	image   string
	xl      string // the domain's xl config; "" is xenlab's default (64 MiB, no devices)
	cmdline string
	wait    time.Duration
	dom0    string // the dom0 script beside the domain (xenlab.Step.Dom0)
	check   func(t *testing.T, r *xenlab.Result)
}

// TestXen runs, in ONE boot of the nested-Xen harness (Xen 4.17 in QEMU TCG, internal/host/xenlab;
// booting Xen and dom0 is most of a run's time, so each domain is a step of the same run):
//   - the programs of xenPrograms with the expectations of TestBoot; their exit status must come
//     from xenstore (data/exit-status);
//   - testdata/files with its root file system (the file component does not depend on the
//     platform);
//   - the network over netfront and dom0's netback (bridge xenbr0, DHCP from dom0):
//     examples/http built with -target xen serving 500 requests over 8 connections to a client
//     in dom0 (testdata/dom0client); the kernel as a client of an HTTP, TCP and UDP server in
//     dom0 (testdata/netclient); and a backend that goes away (xl network-detach) while the
//     kernel waits on a connection, which must end the wait with an error (testdata/netdetach).
func TestXen(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels under nested Xen (several minutes); skipped with -short")
	}
	cache, err := xenlab.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	testenv.NeedXen(t, xenlab.CheckHost(context.Background(), cache))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := xenlab.EnsureCache(ctx, cache, testenv.LogWriter(t)); err != nil {
		t.Fatalf("building the nested-Xen harness: %v", err)
	}
	t.Logf("harness cache %s ready after %.1f s", cache, time.Since(start).Seconds())

	steps := xenProgramSteps(t)
	steps = append(steps, xenFilesStep(t))
	steps = append(steps, xenNetSteps(t)...)
	volSteps, vol := xenVolumeSteps(t)
	steps = append(steps, volSteps...)
	// UNIKGEN_XENBOOT_STEPS=name,name... boots only those steps (a developer's shortcut: the
	// whole run takes minutes).
	if only := os.Getenv("UNIKGEN_XENBOOT_STEPS"); only != "" {
		want := strings.Split(only, ",")
		steps = slices.DeleteFunc(steps, func(s xenStep) bool { return !slices.Contains(want, s.name) })
		if len(steps) == 0 {
			t.Fatalf("UNIKGEN_XENBOOT_STEPS=%s names no step", only)
		}
	}
	client := dom0Client(t)
	built := time.Now()
	t.Logf("%d kernels and the dom0 client built in %.1f s", len(steps), built.Sub(start).Seconds())

	opts := xenlab.RunOptions{
		Image: steps[0].image, XLConfig: steps[0].xl, Cmdline: steps[0].cmdline, Wait: steps[0].wait, Dom0: steps[0].dom0, Stdin: steps[0].stdin,
		CacheDir: cache, Files: map[string][]byte{"bin/dom0client": client}, Disk: vol,
		Console: testenv.LogWriter(t), Log: testenv.LogWriter(t),
	}
	for _, s := range steps[1:] {
		opts.Steps = append(opts.Steps, xenlab.Step{Image: s.image, XLConfig: s.xl, Cmdline: s.cmdline, Wait: s.wait, Dom0: s.dom0, Stdin: s.stdin})
	}
	res, err := xenlab.Run(ctx, opts)
	t.Logf("one harness boot, %d domains: %.1f s", len(steps), time.Since(built).Seconds())
	if err != nil {
		t.Fatalf("xenlab.Run: %v (logs in %s)", err, res.WorkDir)
	}
	results := append([]*xenlab.Result{res}, res.Steps...)
	for i, s := range steps {
		r := results[i]
		t.Run(s.name, func(t *testing.T) {
			s.check(t, r)
			t.Logf("%s: guest %.2f s from xl create to its end; shutdown %s", s.name, r.GuestTime.Seconds(), r.Shutdown)
		})
	}
	if t.Failed() {
		t.Logf("logs kept in %s", res.WorkDir)
	} else {
		os.RemoveAll(res.WorkDir)
	}
}

// xenProgramSteps builds the programs of xenPrograms.
func xenProgramSteps(t *testing.T) []xenStep {
	var steps []xenStep
	for _, x := range xenPrograms {
		p := x.prog
		if p.Pkg == "" {
			var ok bool
			if p, ok = bootcases.Lookup(x.name); !ok {
				t.Fatalf("no program %q in bootcases.Programs", x.name)
			}
		}
		p.Name = x.name
		var img string
		if x.target == "" {
			img = kernel(t, p.Pkg)
		} else {
			img = xenKernel(t, p.Pkg, x.target)
		}
		cmdline, err := bootline.Encode(p.Env, p.Args)
		if err != nil {
			t.Fatal(err)
		}
		var xl bytes.Buffer
		if x.memory != 0 {
			err := deploy.XLConfig(&xl, deploy.XLParams{Name: "unikgen", Kernel: img, MemoryMiB: x.memory, VCPUs: 1})
			if err != nil {
				t.Fatal(err)
			}
		}
		steps = append(steps, xenStep{name: p.Name, image: img, xl: xl.String(), cmdline: cmdline, wait: 120 * time.Second, stdin: x.stdin,
			check: func(t *testing.T, r *xenlab.Result) {
				status := xenStatus(t, r)
				p.Check(t, "kernel on Xen", string(r.Console), status)
			}})
	}
	return steps
}

// xenStatus returns the exit status the domain published in xenstore.
func xenStatus(t *testing.T, r *xenlab.Result) int {
	t.Helper()
	status, err := r.Status()
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, r.Console)
	}
	if r.StatusSource != "xenstore" {
		t.Errorf("exit status %d came from %q, want xenstore data/exit-status", status, r.StatusSource)
	}
	return status
}

// xenFilesStep is testdata/files with its root file system.
func xenFilesStep(t *testing.T) xenStep {
	_, img := bootcases.BuildSpecialised(t, bootcases.FilesPkg, bootcases.FilesRootFS)
	want := bootcases.FilesDigest(t)
	return xenStep{name: "files", image: img, wait: 120 * time.Second, check: func(t *testing.T, r *xenlab.Result) {
		status := xenStatus(t, r)
		out := string(r.Console)
		if status != 0 || !strings.Contains(out, want) || !strings.Contains(out, "\ndone\n") || strings.Contains(out, "FAIL") {
			t.Errorf("status %d; want 0, the host's digest and every check ok; console:\n%s", status, out)
		}
	}}
}

// xenNetXL is the xl config of a domain with one vif on dom0's bridge (xenlab gives it its MAC,
// which dom0's DHCP server maps to 10.0.2.15).
func xenNetXL(t *testing.T, img string) string {
	var xl bytes.Buffer
	err := deploy.XLConfig(&xl, deploy.XLParams{Name: "unikgen", Kernel: img, MemoryMiB: 128, VCPUs: 1,
		VIFs: []deploy.VIF{{Bridge: "xenbr0"}}})
	if err != nil {
		t.Fatal(err)
	}
	return xl.String()
}

// xenNetSteps are the network tests: server, client, and a backend that goes away.
func xenNetSteps(t *testing.T) []xenStep {
	web := xenKernel(t, "examples/http", config.Xen)
	server := xenStep{name: "http-server", image: web, xl: xenNetXL(t, web), wait: 300 * time.Second,
		// The load: 500 requests over 8 connections (it stalled the guest in some runs
		// until external interrupts stopped using an IST: runtime/trap, recoverDuplicate).
		dom0: `/bin/dom0client load -n 500 -c 8 -want 'Hello from a unikernel!' -wait 150s http://$GUEST_IP/; rc=$?
/bin/dom0client load -n 20 -c 2 -want '"uptime_ms":' -wait 5s http://$GUEST_IP/status || rc=1
xl destroy $NAME
exit $rc
`,
		check: func(t *testing.T, r *xenlab.Result) {
			out, con := string(r.Dom0Output), string(r.Console)
			if r.Dom0Status != 0 || !strings.Contains(out, "load: 500 requests over 8 connections") ||
				!strings.Contains(out, "load: 20 requests over 2 connections") || strings.Contains(out, "first error") {
				t.Errorf("dom0 client: status %d, want 0 and every request answered; its output:\n%s\nguest console:\n%s", r.Dom0Status, out, con)
			}
			if !strings.Contains(con, "listening on :80") {
				t.Errorf("guest console:\n%s\nwant it to say listening on :80", con)
			}
		}}

	// dom0client serve runs until the harness kills the script, 3 s after the domain's end.
	serve := `exec /bin/dom0client serve -addr :8080 -body 'hello from dom0' -echo :7007`
	cl := xenKernel(t, "internal/boottest/testdata/netclient", config.Xen)
	cmdline, err := bootline.Encode(nil, []string{"http://10.0.2.2:8080/from-the-kernel", "10.0.2.2:7007", "10.0.2.2:7007"})
	if err != nil {
		t.Fatal(err)
	}
	client := xenStep{name: "http-client", image: cl, xl: xenNetXL(t, cl), cmdline: cmdline, wait: 150 * time.Second, dom0: serve,
		check: func(t *testing.T, r *xenlab.Result) {
			status := xenStatus(t, r)
			want := "http: 200 \"hello from dom0\"\ntcp: \"ping over tcp\"\nudp: \"ping over udp\"\n"
			if out := string(r.Console); status != 0 || !strings.HasSuffix(out, want) {
				t.Errorf("status %d, console:\n%s\nwant status 0 and the console to end with:\n%s\ndom0 script:\n%s", status, out, want, r.Dom0Output)
			}
		}}

	det := xenKernel(t, "internal/boottest/testdata/netdetach", config.Xen)
	cmdline, err = bootline.Encode(nil, []string{"http://10.0.2.2:8080/detach", "10.0.2.2:7007"})
	if err != nil {
		t.Fatal(err)
	}
	detach := xenStep{name: "backend-detach", image: det, xl: xenNetXL(t, det), cmdline: cmdline, wait: 200 * time.Second,
		dom0: `/bin/dom0client serve -addr :8080 -body 'detaching' -echo :7007 -log /tmp/detach.log &
n=0
while ! grep -q ' /detach$' /tmp/detach.log 2>/dev/null; do
  n=$((n+1)); [ $n -gt 750 ] && { echo "no /detach request after 150 s"; exit 1; }
  sleep 0.2
done
sleep 1
xl network-detach $DOMID 0; echo "network-detach rc=$?"
wait
`,
		check: func(t *testing.T, r *xenlab.Result) {
			// The guest exits as soon as it sees the detach, while its xenbus watcher still
			// disconnects from the backend and holds the xenstore ring: the exit takes the ring
			// over (xenstore.WriteExitStatus), so the status must still come from xenstore. The
			// dom0 script may be killed before xl network-detach returns.
			status := xenStatus(t, r)
			out := string(r.Console)
			if status != 0 || !strings.Contains(out, "echo before detach: ok\n") || !strings.Contains(out, "read after detach: ") ||
				!strings.Contains(out, "is down") || !strings.Contains(out, "dial after detach: ") || !strings.HasSuffix(out, "done\n") {
				t.Errorf("status %d, console:\n%s\nwant status 0, the device down, a read and a dial that fail; dom0 script:\n%s", status, out, r.Dom0Output)
			}
		}}
	return []xenStep{server, client, detach}
}

// dom0Client builds testdata/dom0client as a static Linux binary for dom0.
func dom0Client(t *testing.T) []byte {
	goCmd := testenv.NeedGo(t)
	out := filepath.Join(t.TempDir(), "dom0client")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-o", out, "./internal/boottest/testdata/dom0client")
	cmd.Dir = testenv.ModuleRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the dom0 client: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xenVolumeSteps are the persistent volume under Xen: testdata/volume built with -target xen
// saves files on /data (ext3 on /dev/xvda, blkfront and dom0's blkback) the safe way (write,
// fsync, rename, fsync the directory) and prints "synced"; dom0 then destroys the domain, as a
// crash would end it. A second domain on the same disk finds every file and writes again. It
// returns the steps and the volume image, which the harness gives every domain whose xl config
// has a disk line.
func xenVolumeSteps(t *testing.T) ([]xenStep, string) {
	img := xenKernel(t, "internal/boottest/testdata/volume", config.Xen)
	vol := filepath.Join(t.TempDir(), "volume.img")
	bootcases.NewVolume(t, vol, 8<<20) // in dom0's memory: small
	var xl bytes.Buffer
	if err := deploy.XLConfig(&xl, deploy.XLParams{Name: "unikgen", Kernel: img, MemoryMiB: 64, VCPUs: 1,
		Disks: []deploy.Disk{{Target: "/volume.img"}}}); err != nil { // the harness's loop device replaces it
		t.Fatal(err)
	}
	cmdline := func(mode string) string {
		c, err := bootline.Encode(nil, []string{mode})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	write := xenStep{name: "volume-write", image: img, xl: xl.String(), cmdline: cmdline("write"), wait: 150 * time.Second,
		dom0: `n=0
while ! grep -q '^synced' /var/log/xen/guest-$NAME.log 2>/dev/null; do
  n=$((n+1)); [ $n -gt 700 ] && { echo "no synced line after 140 s"; exit 1; }
  sleep 0.2
done
xl destroy $NAME && echo destroyed
`,
		check: func(t *testing.T, r *xenlab.Result) {
			out := string(r.Console)
			if r.Dom0Status != 0 || !strings.Contains(string(r.Dom0Output), "destroyed") {
				t.Errorf("dom0 script: status %d, output:\n%s", r.Dom0Status, r.Dom0Output)
			}
			for _, s := range slices.Concat(bootcases.VolumeWritten, []string{"synced\n"}) {
				if !strings.Contains(out, s) {
					t.Errorf("first domain: console does not contain %q:\n%s", s, out)
				}
			}
			if strings.Contains(out, "save blob:") {
				t.Errorf("first domain: a save failed:\n%s", out)
			}
		}}
	check := xenStep{name: "volume-check", image: img, xl: xl.String(), cmdline: cmdline("check"), wait: 120 * time.Second,
		check: func(t *testing.T, r *xenlab.Result) {
			status := xenStatus(t, r)
			out := string(r.Console)
			if status != 0 {
				t.Errorf("second domain: exit status %d", status)
			}
			for _, s := range slices.Concat(bootcases.VolumeChecked, []string{bootcases.VolumeEntries}) {
				if !strings.Contains(out, s) {
					t.Errorf("second domain: console does not contain %q:\n%s", s, out)
				}
			}
		}}
	return []xenStep{write, check}, vol
}
