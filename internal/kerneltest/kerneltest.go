// This file implements running the tests of packages in kernels, reported as go test reports.

package kerneltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// DefaultTimeout is go test's -timeout default: a test binary that runs longer panics.
const DefaultTimeout = 10 * time.Minute

// DefaultMemoryMiB is the guest memory of a test kernel: more than a program's default
// (qemu.DefaultMemoryMiB), as test suites allocate more than most programs.
const DefaultMemoryMiB = 512

// Options say which packages to test and how.
type Options struct {
	Dir      string   // where the go command runs; "" is the current directory
	Patterns []string // package patterns; none means "."
	Go       string   // the go command; "" is "go" from $PATH
	ExtraEnv []string // more environment for the go command (GOFLAGS, GOPROXY...)

	Flags Flags // go test's flags that the test binaries take

	MemoryMiB int    // guest memory; 0 means DefaultMemoryMiB (raised to an image's minimum)
	Accel     string // QEMU accelerator; "" is TCG
	QEMU      string // the emulator; "" finds qemu.Binary in $PATH

	Stdout io.Writer // go test's standard output: results and the tests' output
	Stderr io.Writer // build errors
}

// Flags are go test's flags passed to each test binary (go help testflag).
type Flags struct {
	Run     string        // -run: the tests to run, a regular expression
	Skip    string        // -skip: the tests to skip
	Verbose bool          // -v: print each test's output as it runs, and the test names
	Count   int           // -count: run each test this many times; 0 is go test's default, 1
	Short   bool          // -short
	Timeout time.Duration // -timeout: 0 is DefaultTimeout; a negative value disables it
	Extra   []string      // more arguments after --, passed as they are (for example -test.bench=.)
}

// Args returns the test binary's arguments for f, as go test passes them.
func (f Flags) Args() []string {
	args := []string{"-test.paniconexit0"}
	t := f.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	if t < 0 {
		t = 0
	}
	args = append(args, "-test.timeout="+t.String())
	if f.Run != "" {
		args = append(args, "-test.run="+f.Run)
	}
	if f.Skip != "" {
		args = append(args, "-test.skip="+f.Skip)
	}
	if f.Verbose {
		args = append(args, "-test.v=true")
	}
	if f.Count != 0 {
		args = append(args, "-test.count="+strconv.Itoa(f.Count))
	}
	if f.Short {
		args = append(args, "-test.short=true")
	}
	return append(args, f.Extra...)
}

// bootTimeout is how long QEMU may run a test kernel: the test binary's own timeout panics
// first, with the goroutines' stacks; this limit catches a kernel that hangs.
func (f Flags) bootTimeout() time.Duration {
	switch {
	case f.Timeout < 0:
		return 0
	case f.Timeout == 0:
		return DefaultTimeout + time.Minute
	}
	return f.Timeout + time.Minute
}

// Outcome is the result of one package.
type Outcome int

const (
	Passed      Outcome = iota // the test binary exited 0
	Failed                     // it exited non-zero, or the kernel crashed or timed out
	NoTests                    // the package has no test files
	BuildFailed                // the test binary did not build
)

// Result is one package's result.
type Result struct {
	ImportPath string
	Outcome    Outcome
	Status     int           // the test kernel's exit status (Passed, Failed)
	Elapsed    time.Duration // from boot to exit
	Output     []byte        // what the kernel printed
}

// Run tests the packages of o, each in its own kernel, one after another, printing what go test
// prints to o.Stdout. It returns the results, and an error only for trouble that stops it before
// the packages run (no package, no library OS, no QEMU). Use ExitStatus for go test's exit status.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if _, err := qemu.LookPath(o.QEMU); err != nil {
		return nil, err
	}
	pkgs, err := listPackages(ctx, &o)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, errors.New("no packages to test")
	}
	l, err := findLibOS(ctx, &o)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "unikgen-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var results []Result
	for i, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		dir := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return results, err
		}
		r := testPackage(ctx, &o, l, p, dir)
		report(o.Stdout, o.Stderr, r, o.Flags.Verbose)
		results = append(results, r)
		os.RemoveAll(dir)
	}
	if ExitStatus(results) != 0 && len(results) > 1 {
		fmt.Fprintln(o.Stdout, "FAIL")
	}
	return results, nil
}

// ExitStatus is go test's exit status for results: 0 when every package passed or had no
// tests, 1 otherwise.
func ExitStatus(results []Result) int {
	for _, r := range results {
		if r.Outcome == Failed || r.Outcome == BuildFailed {
			return 1
		}
	}
	return 0
}

// testPackage builds and boots the test kernel of p in dir.
func testPackage(ctx context.Context, o *Options, l *libosDirs, p *Package, dir string) Result {
	r := Result{ImportPath: p.ImportPath}
	if p.Error != nil {
		r.Outcome, r.Output = BuildFailed, []byte(p.Error.Err+"\n")
		return r
	}
	if !p.HasTests() {
		r.Outcome = NoTests
		return r
	}
	kernel := filepath.Join(dir, "test.xen")
	minMiB, err := buildKernel(ctx, o, l, p, dir, kernel)
	if err != nil {
		var be *BuildError
		if errors.As(err, &be) {
			r.Outcome, r.Output = BuildFailed, be.Stderr
		} else {
			r.Outcome, r.Output = BuildFailed, []byte(err.Error()+"\n")
		}
		return r
	}
	flags := o.Flags
	mem := o.MemoryMiB
	if mem == 0 {
		mem = DefaultMemoryMiB
	}
	mem = max(mem, minMiB)
	var out bytes.Buffer
	console := io.Writer(&out)
	if o.Flags.Verbose {
		console = io.MultiWriter(&out, o.Stdout) // go test -v streams the output
	}
	cfg := qemu.Config{
		Kernel: kernel, MemoryMiB: mem, Accel: o.Accel, QEMU: o.QEMU, Args: flags.Args(),
		Timeout: o.Flags.bootTimeout(), Console: console, Stderr: o.Stderr,
	}
	start := time.Now()
	res, err := qemu.Run(ctx, cfg)
	r.Elapsed = time.Since(start)
	r.Output = out.Bytes()
	switch {
	case err != nil:
		r.Outcome, r.Status = Failed, -1
		r.Output = append(r.Output, []byte("unikgen test: "+err.Error()+"\n")...)
		if o.Flags.Verbose {
			fmt.Fprintf(o.Stdout, "unikgen test: %v\n", err)
		}
	case res.Status != 0:
		r.Outcome, r.Status = Failed, res.Status
	default:
		r.Outcome = Passed
	}
	return r
}
