// This file implements "unikgen test": internal/kerneltest does the work.

package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"os"

	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/kerneltest"
)

func runTest(ctx context.Context, args []string) int {
	fs := newFlags("test")
	var f kerneltest.Flags
	fs.StringVar(&f.Run, "run", "", "run only the tests matching `REGEXP` (go test -run)")
	fs.StringVar(&f.Skip, "skip", "", "skip the tests matching `REGEXP` (go test -skip)")
	fs.BoolVar(&f.Verbose, "v", false, "print each test's name and output as it runs (go test -v)")
	fs.IntVar(&f.Count, "count", 0, "run each test `N` times (go test -count)")
	fs.BoolVar(&f.Short, "short", false, "tell long-running tests to shorten (go test -short)")
	fs.DurationVar(&f.Timeout, "timeout", kerneltest.DefaultTimeout, "a test binary running longer than `D` panics (go test -timeout); 0 for no limit")
	mem := fs.Int("m", kerneltest.DefaultMemoryMiB, "guest memory of each test kernel in `MiB` (raised to an image's minimum)")
	accel := fs.String("accel", qemu.TCG, "QEMU accelerator: tcg or kvm")
	patterns, extra, code := parseTestArgs(fs, args)
	if code >= 0 {
		return code
	}
	if f.Timeout <= 0 {
		f.Timeout = -1 // go test: 0 is no limit; kerneltest: 0 is the default, negative none
	}
	if err := checkMemory("-m", *mem, false); err != nil {
		log.Print(err)
		return exitUsage
	}
	f.Extra = extra
	res, err := kerneltest.Run(ctx, kerneltest.Options{Patterns: patterns, Flags: f, MemoryMiB: *mem, Accel: *accel, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		if interrupted(ctx) {
			return exitFailure // main reports the interruption
		}
		log.Print(err)
		var nf *qemu.NotFoundError
		if errors.As(err, &nf) || len(res) == 0 {
			return exitUsage
		}
		return exitFailure
	}
	return kerneltest.ExitStatus(res)
}

// parseTestArgs parses "[flags] [packages] [flags] [-- test flags]": flags and package patterns
// may mix, as go test allows; it returns code -1 when the command should go on.
func parseTestArgs(fs *flag.FlagSet, args []string) (patterns, extra []string, code int) {
	for i, a := range args {
		if a == "--" {
			args, extra = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, exitOK
			}
			return nil, nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return patterns, extra, -1
		}
		patterns, args = append(patterns, args[0]), args[1:]
	}
}
