package boottest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
	bootline "github.com/unikgen/unikgen/runtime/cmdline"
)

// xenPrograms run under real Xen. The first ones are entries of programs, with the same image and
// the same expectations as under QEMU (the generic root detects Xen at boot); xenstore is built
// with -target xen (only the Xen platform linked), as `unikgen run -target xen` builds.
var xenPrograms = []struct {
	name   string        // an entry of programs, or a program of its own (prog.pkg set)
	target config.Target // "" is the generic root of TestBoot; else pipeline.Build with this target
	memory int           // the domain's memory in MiB; 0 is xenlab's default (64)
	stdin  []byte        // the program's standard input, written to its console by dom0
	prog   program
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
	{name: "random-16MiB", memory: 16, prog: program{pkg: "internal/boottest/testdata/random", status: 0,
		exact: "crypto/rand ok: true\nmath/rand ok: true\n"}},
	{name: "bigbss-16MiB", memory: 16, prog: program{pkg: "internal/boottest/testdata/bigbss", status: 0,
		exact: "zeros: true\nwrites kept: true\n"}},
	// Standard input through the PV console's input ring (the harness writes it to the domain's
	// console pty), as TestStdin has it under QEMU: lines then end of file; binary input larger
	// than the ring and than the kernel's input buffer.
	{name: "stdin-lines", stdin: []byte("hello\nworld\nno newline"), prog: program{pkg: "internal/boottest/testdata/stdin",
		args: []string{"upper"}, status: 3, exact: "1: HELLO\n2: WORLD\n3: NO NEWLINE\nend of input after 3 lines, error <nil>\n"}},
	{name: "stdin-binary", stdin: xenBinaryInput, prog: program{pkg: "internal/boottest/testdata/stdin",
		args: []string{"cat"}, status: 0, exact: string(xenBinaryInput) + "copied 20000 bytes, error <nil>\n"}},
	{name: "xenstore", target: config.Xen, prog: program{
		pkg: "internal/boottest/testdata/xenstore", status: 0,
		exact: "write data/a: ok\n" +
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

// xenSlots bounds the nested-Xen runs in flight: each takes two TCG threads.
var xenSlots = make(chan struct{}, 2)

// xenKernel returns the image of pkg built with the generator for target, building it on first
// use (shared with kernel's cache, under its own key).
func xenKernel(t *testing.T, pkg string, target config.Target) string {
	t.Helper()
	key := pkg + "@target=" + string(target)
	images.Lock()
	if images.built == nil {
		images.built = map[string]*builtImage{}
	}
	b := images.built[key]
	if b == nil {
		b = &builtImage{}
		images.built[key] = b
	}
	dir := images.dir
	images.Unlock()
	b.once.Do(func() {
		ctx := context.Background()
		b.path = filepath.Join(dir, strings.ReplaceAll(pkg, "/", "_")+"."+string(target)+".xen")
		_, b.err = pipeline.Build(ctx, pipeline.Options{Output: b.path,
			Gen: gen.Options{Dir: moduleRoot(), Package: "./" + pkg, Overrides: gen.Overrides{Target: &target}}})
	})
	if b.err != nil {
		t.Fatalf("building %s for target %s: %v", pkg, target, b.err)
	}
	return b.path
}

// xenLog turns the harness's progress lines into test log lines.
type xenLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (w *xenLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// TestXen boots hello, goroutines and the panic case under real Xen 4.17 (nested in QEMU TCG,
// internal/host/xenlab) with the expectations of TestBoot, and the xenstore program built with
// -target xen. The exit status must come from xenstore (data/exit-status) with a poweroff.
func TestXen(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels under nested Xen (20-40 s each); skipped with -short")
	}
	cache, err := xenlab.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	testenv.NeedXen(t, xenlab.CheckHost(context.Background(), cache))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel) // after the parallel subtests
	if err := xenlab.EnsureCache(ctx, cache, &xenLog{t: t}); err != nil {
		t.Fatalf("building the nested-Xen harness: %v", err)
	}
	t.Logf("harness cache %s ready after %.1f s", cache, time.Since(start).Seconds())

	byName := map[string]program{}
	for _, p := range programs {
		byName[p.name] = p
	}
	for _, x := range xenPrograms {
		p := x.prog
		if p.pkg == "" {
			var ok bool
			if p, ok = byName[x.name]; !ok {
				t.Fatalf("no program %q in programs", x.name)
			}
		}
		p.name = x.name
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			var img string
			if x.target == "" {
				img = kernel(t, p.pkg)
			} else {
				img = xenKernel(t, p.pkg, x.target)
			}
			cmdline, err := bootline.Encode(p.env, p.args)
			if err != nil {
				t.Fatal(err)
			}
			queued := time.Now()
			xenSlots <- struct{}{}
			defer func() { <-xenSlots }()
			begin := time.Now()
			var xl bytes.Buffer
			if x.memory != 0 {
				err := deploy.XLConfig(&xl, deploy.XLParams{Name: "unikgen", Kernel: img, MemoryMiB: x.memory, VCPUs: 1})
				if err != nil {
					t.Fatal(err)
				}
			}
			res, err := xenlab.Run(ctx, xenlab.RunOptions{
				Image: img, XLConfig: xl.String(), CacheDir: cache, Cmdline: cmdline, Log: &xenLog{t: t},
				Wait: 120 * time.Second, Timeout: 8 * time.Minute, Stdin: x.stdin,
			})
			defer func() {
				if t.Failed() {
					t.Logf("logs kept in %s", res.WorkDir)
				} else if res.WorkDir != "" {
					os.RemoveAll(res.WorkDir)
				}
			}()
			if err != nil {
				t.Fatalf("xenlab.Run: %v", err)
			}
			status, err := res.Status()
			if err != nil {
				t.Fatalf("%v; console:\n%s", err, res.Console)
			}
			if res.StatusSource != "xenstore" {
				t.Errorf("exit status %d came from %q, want xenstore data/exit-status", status, res.StatusSource)
			}
			p.check(t, "kernel on Xen", string(res.Console), status)
			t.Logf("%s: status %d; guest %.2f s from xl create to its end; QEMU %.1f s; Run %.1f s after %.1f s waiting for a slot",
				p.name, status, res.GuestTime.Seconds(), res.WallTime.Seconds(), time.Since(begin).Seconds(), begin.Sub(queued).Seconds())
		})
	}
}
