// This file implements "unikgen run".

package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/unikgen/unikgen/gen/build"
	"github.com/unikgen/unikgen/internal/qemu"
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
	mem := fs.Int("m", qemu.DefaultMemoryMiB, "guest memory in `MiB`")
	timeout := fs.Duration("timeout", 60*time.Second, "kill the guest after this `duration` (exit status 124)")
	accel := fs.String("accel", qemu.TCG, "QEMU accelerator: tcg or kvm")
	machine := fs.String("machine", qemu.MicroVM, "QEMU machine: microvm or q35")
	var env envFlags
	fs.Var(&env, "env", "set the program's environment variable (`KEY=VALUE`, repeatable)")
	gf := addGenFlags(fs)
	pkg, progArgs, code := parseArgs(fs, args, true)
	if code >= 0 {
		return code
	}
	cfg := qemu.Config{
		MemoryMiB: *mem, Machine: *machine, Accel: *accel, Env: env, Args: progArgs,
		Timeout: *timeout, Console: os.Stdout, Stderr: os.Stderr,
	}
	// Check what can be checked before the (slow) build.
	if *mem <= 0 {
		log.Printf("-m %d: want a positive number of MiB", *mem)
		return exitUsage
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
	pkgInfo, err := build.Resolve(ctx, build.Options{Package: pkg})
	if err != nil {
		return buildFailed(err)
	}
	boot, code := bootFiles(ctx, gf, pkg)
	if code >= 0 {
		return code
	}
	res, err := build.Build(ctx, build.Options{Package: pkg, Output: filepath.Join(tmp, build.DefaultImageName(pkgInfo.ImportPath)), BootOverlay: boot})
	if err != nil {
		return buildFailed(err)
	}
	os.Stderr.Write(res.Stderr)

	cfg.Kernel = res.Image
	r, err := qemu.Run(ctx, cfg)
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
	case ctx.Err() != nil:
		log.Print("interrupted; QEMU killed")
		return 130
	}
	log.Print(err)
	return exitFailure
}
