// Command editrun measures the edit-run loop of unikgen against plain Go, side by side in one run,
// and prints a markdown table for docs/benchmarks.md.
//
// For examples/hello and examples/http, each copied into a scratch package of this module so that
// it can be edited, it times:
//
//   - `unikgen run` after a one-line edit (a string literal of main changes), and again, of the
//     unchanged program (warm: the analysis cache and go build's cache hold it);
//   - the baseline: a plain `go build -o PROG .` of the same program (CGO_ENABLED=0, the output
//     kept between builds as a developer's would be), unchanged and after the same kind of edit,
//     plus a QEMU boot of the already-built unikgen kernel image.
//
// hello's time ends when the program has exited. examples/http serves forever: its time ends at
// the first HTTP response through a forwarded port (unikgen run -p), after which the run is
// stopped (SIGINT; QEMU killed for the baseline boot). Rounds are interleaved; the table gives
// medians, their ratio and the targets (unchanged within 1.5x, edited within 3x).
//
// Usage (from the module root):
//
//	go run ./internal/bench/editrun [-n 3] [-cache=false]
//
// -cache=false runs unikgen without its analysis cache (UNIKGEN_CACHE=off), as before it existed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/internal/bench/benchcmd"
	"github.com/unikgen/unikgen/internal/bench/runstats"
	"github.com/unikgen/unikgen/internal/host/qemu"
)

var (
	rounds   = flag.Int("n", 3, "rounds per program")
	timeout  = flag.Duration("timeout", 5*time.Minute, "limit of each step")
	useCache = flag.Bool("cache", true, "let unikgen use its analysis cache (false: UNIKGEN_CACHE=off, as before the cache existed)")
)

// program is one program under test.
type program struct {
	name   string
	src    string // the example's directory
	old    string // the text of main.go that the edit replaces, with %d for a counter
	serves bool   // a server: timed to its first HTTP response
}

var programs = []program{
	{name: "hello", src: "examples/hello", old: "Hello, unikernel!"},
	{name: "http", src: "examples/http", old: "Hello from a unikernel!", serves: true},
}

type sample struct {
	unchanged, edited, goUnchanged, goEdited, boot []float64
}

func main() {
	benchcmd.Start("editrun", true)
	ctx := context.Background()
	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "unikgen")); err != nil {
		log.Fatal("run from the module root")
	}
	// The scratch packages live in the module (a directory starting with "_", which ./... skips).
	work, err := os.MkdirTemp(filepath.Join(root, "internal", "bench", "editrun"), "_work-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	unikgen := filepath.Join(work, "unikgen")
	if out, err := exec.Command("go", "build", "-o", unikgen, "./cmd/unikgen").CombinedOutput(); err != nil {
		log.Fatalf("building unikgen: %v\n%s", err, out)
	}
	cacheDir := filepath.Join(work, "cache")

	results := map[string]*sample{}
	for _, p := range programs {
		dir := filepath.Join(work, p.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		src, err := os.ReadFile(filepath.Join(root, p.src, "main.go"))
		if err != nil {
			log.Fatal(err)
		}
		if !strings.Contains(string(src), p.old) {
			log.Fatalf("%s/main.go has no %q to edit", p.src, p.old)
		}
		mainGo := filepath.Join(dir, "main.go")
		edits := 0
		edit := func() {
			edits++
			s := strings.Replace(string(src), p.old, fmt.Sprintf("%s (edit %d)", p.old, edits), 1)
			if err := os.WriteFile(mainGo, []byte(s), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		edit()
		image := filepath.Join(dir, p.name+".xen")
		prog := filepath.Join(dir, p.name+".linux")
		env := append(os.Environ(), "UNIKGEN_CACHE="+cacheDir)
		if !*useCache {
			env = append(os.Environ(), "UNIKGEN_CACHE=off")
		}
		// Warm up: the caches, and the image that the baseline boots.
		if out, err := exec.Command(unikgen, "build", "-o", image, "./"+rel(root, dir)).CombinedOutput(); err != nil {
			log.Fatalf("%s: unikgen build: %v\n%s", p.name, err, out)
		}
		s := &sample{}
		results[p.name] = s
		if _, err := runUnikgen(ctx, unikgen, root, dir, env, p); err != nil {
			log.Fatal(err)
		}
		goBuild(ctx, dir, prog)
		// Each round: an edit, then unikgen run twice (edited, then unchanged); another edit, then
		// go build twice and a boot. Each tool sees every edit once.
		for i := 0; i < *rounds; i++ {
			edit()
			d, err := runUnikgen(ctx, unikgen, root, dir, env, p)
			must(err)
			s.edited = append(s.edited, d)
			d, err = runUnikgen(ctx, unikgen, root, dir, env, p)
			must(err)
			s.unchanged = append(s.unchanged, d)
			edit()
			s.goEdited = append(s.goEdited, goBuild(ctx, dir, prog))
			s.goUnchanged = append(s.goUnchanged, goBuild(ctx, dir, prog))
			d, err = boot(ctx, image, p)
			must(err)
			s.boot = append(s.boot, d)
			log.Printf("%s round %d: unikgen run %.2f s, edited %.2f s; go build %.2f s, edited %.2f s; boot %.2f s",
				p.name, i+1, s.unchanged[i], s.edited[i], s.goUnchanged[i], s.goEdited[i], s.boot[i])
		}
	}

	fmt.Printf("`go run ./internal/bench/editrun -n %d -cache=%v` (%s, %s, QEMU %s, load average %s)\n\n", *rounds, *useCache,
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runstats.QEMUVersion(), runstats.LoadAverage())
	fmt.Println("| program | case | unikgen run | go build + boot | ratio | target |")
	fmt.Println("|---|---|---:|---:|---:|---|")
	for _, p := range programs {
		s := results[p.name]
		b := runstats.Median(s.boot)
		row := func(what string, u, g []float64, target float64) {
			um, gm := runstats.Median(u), runstats.Median(g)+b
			met := "met"
			if um/gm > target {
				met = "**not met**"
			}
			fmt.Printf("| %s | %s | %.2f s | %.2f s (%.2f + %.2f) | %.2fx | %.1fx: %s |\n", p.name, what, um, gm, runstats.Median(g), b, um/gm, target, met)
		}
		row("unchanged", s.unchanged, s.goUnchanged, 1.5)
		row("one-line edit", s.edited, s.goEdited, 3)
	}
	fmt.Println()
	fmt.Println("hello: until the program exits; http: until its first HTTP response (then stopped).")
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func rel(root, dir string) string {
	r, err := filepath.Rel(root, dir)
	if err != nil {
		log.Fatal(err)
	}
	return r
}

// runUnikgen times `unikgen run` of the program in dir: to its exit, or to the first HTTP
// response of a server.
func runUnikgen(ctx context.Context, unikgen, root, dir string, env []string, p program) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	args := []string{"run"}
	port := 0
	if p.serves {
		port = benchcmd.FreePort()
		args = append(args, "-p", fmt.Sprintf("%d:80", port))
	}
	args = append(args, "./"+rel(root, dir))
	cmd := exec.CommandContext(ctx, unikgen, args...)
	cmd.Dir, cmd.Env = root, env
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if !p.serves {
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s: unikgen run: %v\n%s", p.name, err, stderr.String())
		}
		return time.Since(start).Seconds(), nil
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	d, err := firstResponse(ctx, port, start)
	cmd.Process.Signal(syscall.SIGINT) // unikgen stops QEMU and exits
	cmd.Wait()
	if err != nil {
		return 0, fmt.Errorf("%s: unikgen run: %v\n%s", p.name, err, stderr.String())
	}
	return d, nil
}

// goBuild times a plain go build of the program in dir into prog.
func goBuild(ctx context.Context, dir, prog string) float64 {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", prog, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return time.Since(start).Seconds()
}

// boot times a QEMU boot of the built image: to its exit, or to the first HTTP response.
func boot(ctx context.Context, image string, p program) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cfg := qemu.Config{Kernel: image, Timeout: *timeout}
	start := time.Now()
	if !p.serves {
		_, err := qemu.Run(ctx, cfg)
		var ee *qemu.ExitError
		if err != nil && !errors.As(err, &ee) {
			return 0, err
		}
		return time.Since(start).Seconds(), nil
	}
	port := benchcmd.FreePort()
	cfg.Net, cfg.Forwards = qemu.NetUser, []qemu.Forward{{Proto: "tcp", Host: netip.MustParseAddr("127.0.0.1"), HostPort: port, GuestPort: 80}}
	done := make(chan error, 1)
	qctx, qcancel := context.WithCancel(ctx)
	go func() { _, err := qemu.Run(qctx, cfg); done <- err }()
	d, err := firstResponse(ctx, port, start)
	qcancel()
	<-done
	return d, err
}

// firstResponse polls http://127.0.0.1:port/ until it answers and returns the seconds since start.
func firstResponse(ctx context.Context, port int, start time.Time) (float64, error) {
	c := &http.Client{Timeout: 200 * time.Millisecond}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start).Seconds(), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no HTTP response: %v (last: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
