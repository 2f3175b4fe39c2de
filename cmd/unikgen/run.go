// This file implements "unikgen run".

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/gdbcmd"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/pipeline"
	bootline "github.com/unikgen/unikgen/runtime/cmdline"
)

// envFlags collects repeated -env KEY=VALUE flags.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }

func (e *envFlags) Set(kv string) error {
	if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", kv)
	}
	*e = append(*e, kv)
	return nil
}

func runRun(ctx context.Context, args []string) int {
	fs := newFlags("run")
	mem := fs.Int("m", qemu.DefaultMemoryMiB, "guest memory in `MiB` (default config.Kernel.MemoryMiB, else 128)")
	timeout := fs.Duration("timeout", 60*time.Second, "kill the guest after this `duration` (exit status 124), 0 for no limit; with -target xen, how long the domain may run")
	accel := fs.String("accel", qemu.TCG, "QEMU accelerator: tcg or kvm")
	machine := fs.String("machine", qemu.MicroVM, "QEMU machine: microvm or q35")
	var env envFlags
	fs.Var(&env, "env", "set the program's environment variable (`KEY=VALUE`, repeatable)")
	var fwds forwardFlags
	fs.Var(&fwds, "p", "forward a host port to the guest: `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]` (repeatable; user networking; HOSTADDR defaults to 127.0.0.1)")
	netFlag := fs.String("net", "", "network device: `user` (QEMU user networking), tap:IFNAME or none; default user when the program uses sockets, none otherwise")
	var disks diskFlags
	fs.Var(&disks, "disk", "attach a raw disk image as a virtio block device, after the volumes' devices: `FILE[:ro]` (repeatable)")
	var gdb gdbFlag
	fs.Var(&gdb, "gdb", "start QEMU stopped, with a gdb stub at "+gdbcmd.DefaultAddr+" or, with -gdb=HOST:PORT, there; print the gdb command line; -timeout defaults to none")
	var vols volumeFlags
	fs.Var(&vols, "volume", "mount the ext3 image `HOSTFILE:PATH[:SIZE]` at PATH (repeatable; created with SIZE, default 64M, when missing; adds PATH to config.Kernel.Volumes)")
	gf := addGenFlags(fs)
	pkg, progArgs, code := parseArgs(fs, args, true)
	if code >= 0 {
		return code
	}
	cfg := qemu.Config{
		MemoryMiB: *mem, Machine: *machine, Accel: *accel, Env: env, Args: progArgs,
		Timeout: *timeout, Console: os.Stdout, Stderr: os.Stderr, Net: *netFlag, Forwards: fwds,
		Drives: disks, GDB: string(gdb),
	}
	if gdb != "" && !flagSet(fs, "timeout") {
		cfg.Timeout = 0 // a debugging session takes as long as it takes
	}
	if cfg.Net == "" && len(fwds) > 0 {
		cfg.Net = qemu.NetUser
	}
	// Check what can be checked before the (slow) build.
	xen := flagSet(fs, "target") && config.Target(*gf.target) == config.Xen
	if code := checkRunLimits("-m", *mem, *timeout, xen); code >= 0 {
		return code
	}
	if xen {
		if code := checkXenFlags(fs); code >= 0 {
			return code
		}
	}
	check := cfg
	check.Kernel = "kernel"
	if _, err := check.CommandArgs("status"); err != nil {
		log.Print(err)
		return exitUsage
	}
	if _, err := qemu.LookPath(""); err != nil {
		log.Print(err)
		return exitUsage
	}

	tmp, err := os.MkdirTemp("", "unikgen-run-")
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	defer os.RemoveAll(tmp)
	var cmdline string
	var planCode int // the exit status of a refusal by planned (which reports it)
	planned := func(g *gen.Result) error {
		printNotes(g)
		planCode = exitUsage
		if !g.Plan.Has("network") && (len(fwds) > 0 || cfg.Net != "" && cfg.Net != qemu.NetNone) {
			log.Printf("-p/-net: %s makes no socket, so its kernel has no network stack (unikgen explain shows why)", pkg)
			return errReported
		}
		if cfg.Net == "" && g.Plan.Has("network") {
			cfg.Net = qemu.NetUser
		}
		if g.Plan.Target == config.Xen && !xen { // config.Kernel{Target: config.Xen}
			xen = true
			if code := checkXenFlags(fs); code >= 0 {
				return errReported
			}
		}
		if len(g.Plan.Volumes) > 0 {
			if xen {
				// The harness copies a disk into dom0's memory: nothing written would reach
				// the host's file. On a Xen host, NAME.xl's disk line carries the volume.
				log.Printf("volumes (%s): run -target xen boots under the nested-Xen harness, which keeps no disk across runs; "+
					"build the image and boot it on a Xen host with the disk line of NAME.xl (unikgen build -disk)", strings.Join(g.Plan.Volumes, ", "))
				return errReported
			}
			vd, err := volumeDrives(g.Plan.Volumes, vols)
			if err != nil {
				log.Print(err)
				return errReported
			}
			cfg.Drives = append(vd, cfg.Drives...)
		}
		// The memory limits again, now that the target and config.Kernel.MemoryMiB are known.
		what, mib := "config.Kernel.MemoryMiB", g.Plan.MemoryMiB
		if flagSet(fs, "m") {
			what, mib = "-m", *mem
		}
		if code := checkRunLimits(what, mib, *timeout, xen); code >= 0 {
			planCode = code
			return errReported
		}
		if xen {
			var err error
			if cmdline, err = bootline.Encode(env, progArgs); err != nil {
				log.Print(err)
				return errReported
			}
			if code := ensureXenHarness(ctx); code >= 0 {
				planCode = code
				return errReported
			}
		}
		return nil
	}
	opts := gf.pipeline(pkg)
	opts.Output = tmp + string(filepath.Separator)
	opts.Planned = planned
	opts.Gen.Overrides.Volumes = vols.volumes()
	pr, err := pipeline.Build(ctx, opts)
	if errors.Is(err, errReported) {
		return planCode
	}
	if err != nil {
		return pipelineFailed(ctx, "", err)
	}
	res, g := pr.Build, pr.Gen
	os.Stderr.Write(res.Stderr)

	memMiB, memFrom := *mem, ""
	switch {
	case flagSet(fs, "m"):
		memFrom = "-m"
	case xen:
		memMiB, memFrom = g.Plan.MemoryMiB, g.MemoryFrom
	}
	if err := pipeline.CheckMemory(memMiB, memFrom, res.Image, res.MinMemoryMiB); err != nil {
		log.Print(err)
		return exitUsage
	}
	if xen {
		return runXen(ctx, xenRun{image: res.Image, plan: g.Plan, memoryMiB: memMiB, cmdline: cmdline, wait: *timeout})
	}
	cfg.Kernel = res.Image
	if gdb != "" {
		if code := printGDBCommand(ctx, res.Image, pr.Package, string(gdb)); code >= 0 {
			return code
		}
	}
	if !flagSet(fs, "m") { // the plan's: config.Kernel.MemoryMiB or the default
		cfg.MemoryMiB = g.Plan.MemoryMiB
	}
	console := &tail{max: 64 << 10}
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	cfg.Console = io.MultiWriter(stopOnWriteError(os.Stdout, stopRun), console)
	cfg.Stdin = programInput()
	if *gf.trace {
		cfg.Trace = printCommand
	}
	r, err := qemu.Run(runCtx, cfg)
	reportKernelFault(res.Image, console.buf)
	var te *qemu.TimeoutError
	var nf *qemu.NotFoundError
	switch {
	case err == nil:
		return r.Status & 0xff
	case errors.As(err, &te):
		log.Print(err)
		return exitTimeout
	case errors.As(err, &nf):
		log.Print(err)
		return exitUsage
	case runCtx.Err() != nil:
		return stoppedRun(runCtx)
	}
	reportRunError(err)
	return exitFailure
}

// errReported is the error of a check that has reported itself.
var errReported = errors.New("reported")

// forwardFlags collects repeated -p flags.
type forwardFlags []qemu.Forward

func (f *forwardFlags) String() string {
	var s []string
	for _, x := range *f {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

func (f *forwardFlags) Set(v string) error {
	fw, err := qemu.ParseForward(v)
	if err != nil {
		return err
	}
	*f = append(*f, fw)
	return nil
}

// checkXenFlags rejects the flags that have no meaning under Xen, returning an exit status >= 0.
func checkXenFlags(fs *flag.FlagSet) int {
	for _, f := range []string{"accel", "machine", "p", "net", "gdb"} {
		if flagSet(fs, f) {
			log.Printf("-%s is a QEMU setting: it does not apply to -target xen (Xen runs nested in QEMU TCG)", f)
			return exitUsage
		}
	}
	return -1
}
