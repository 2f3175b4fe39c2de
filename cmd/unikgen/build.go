// This file implements "unikgen build".

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/imagesize"
)

func runBuild(ctx context.Context, args []string) int {
	fs := newFlags("build")
	out := fs.String("o", "", "write the image to `FILE`, or into a directory (default: the package name + .xen); an existing file that is not an ELF file is not overwritten")
	mem := fs.Int("m", 0, "guest memory in `MiB` written to the xl config (overrides config.Kernel.MemoryMiB; default 128)")
	var dev xlDevices
	fs.StringVar(&dev.bridge, "bridge", DefaultBridge, "the Xen host's `BRIDGE` for the domain's network interface, in the xl config (programs that use sockets)")
	fs.Var(&dev.disks, "disk", "a disk of the domain in the xl config, /dev/xvda first: a raw image `PATH[:ro]` on the Xen host (repeatable; programs that use block devices; default NAME.img beside the image)")
	gf := addGenFlags(fs)
	pkg, _, code := parseArgs(fs, args, false)
	if code >= 0 {
		return code
	}
	opts := gf.options(pkg)
	if flagSet(fs, "m") {
		if err := checkMemory("-m", *mem, false); err != nil {
			log.Print(err)
			return exitUsage
		}
		opts.Overrides.MemoryMiB = mem
	}
	pkgInfo, err := build.Resolve(ctx, build.Options{Package: pkg})
	if err != nil {
		return buildFailed(ctx, err)
	}
	output, code := imageOutput(*out, pkgInfo.ImportPath)
	if code >= 0 {
		return code
	}
	g, code := bootFiles(ctx, opts)
	if code >= 0 {
		return code
	}
	dev.bridgeSet = flagSet(fs, "bridge")
	if g.Plan.Target != config.QEMU {
		if code := checkXLOutput(*out, xlPath(output)); code >= 0 {
			return code
		}
	}
	res, err := build.Build(ctx, build.Options{Package: pkg, Output: output, BootOverlay: g.BootOverlay})
	if err != nil {
		return buildFailed(ctx, err)
	}
	os.Stderr.Write(res.Stderr)
	file, loaded, err := imagesize.Sizes(res.Image)
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	fmt.Printf("%s: file %d bytes, memory %d bytes, needs at least %d MiB of memory\n", res.Image, file, loaded, res.MinMemoryMiB)
	if flagSet(fs, "m") || g.MemoryFrom != "" || g.Plan.Target != config.QEMU {
		// The memory goes into the xl config, or the user asked for it: it must be enough.
		if err := checkMinMemory(g.Plan.MemoryMiB, g.MemoryFrom, res.Image, res.MinMemoryMiB); err != nil {
			log.Print(err)
			return exitUsage
		}
	}
	if g.RootFSSize > 0 {
		from := g.Plan.RootFS
		for _, h := range g.Plan.HostFiles {
			if from != "" {
				from += " + "
			}
			from += "host " + h
		}
		fmt.Printf("%s: root file system (%s): %d bytes baked in\n", res.Image, from, g.RootFSSize)
	}
	if g.Plan.Target == config.QEMU {
		return exitOK // a -target qemu kernel does not run on Xen: no xl config
	}
	xl, err := writeXLConfig(res.Image, g.Plan, dev)
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	fmt.Printf("%s: xl config (memory %d MiB%s)\n", xl, g.Plan.MemoryMiB, xlDevicesNote(res.Image, g.Plan, dev))
	return exitOK
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// bootFiles runs the generator (o) and returns its result: the plan and the files of the
// composition root (BootOverlay); or an exit status >= 0. A program that does not load (it does not
// compile) is handed to go build without them, so that the user reads go build's own messages and
// gets its exit status 1.
func bootFiles(ctx context.Context, o gen.Options) (*gen.Result, int) {
	pkg := o.Package
	r, err := gen.Generate(ctx, o)
	if err == nil {
		err = r.Unsupported()
	}
	if err == nil {
		for _, w := range r.Plan.Warnings {
			log.Printf("warning: %s", w)
		}
		for _, a := range r.Advice {
			log.Print(a)
		}
		return r, -1
	}
	var le *gen.LoadError
	if errors.As(err, &le) {
		if tmp, terr := os.MkdirTemp("", "unikgen-check-"); terr == nil {
			defer os.RemoveAll(tmp)
			if _, berr := build.Build(ctx, build.Options{Package: pkg, Output: filepath.Join(tmp, "kernel")}); berr != nil {
				return nil, buildFailed(ctx, berr)
			}
		}
	}
	return nil, genFailed(ctx, err)
}

// buildFailed reports a build error and returns the exit status: go build's messages unchanged
// with 1, a bad package with 2.
func buildFailed(ctx context.Context, err error) int {
	if interrupted(ctx) {
		return exitFailure // main reports the interruption
	}
	var ge *build.GoError
	var pe *build.PackageError
	switch {
	case errors.As(err, &ge):
		os.Stderr.Write(ge.Stderr)
		return exitFailure
	case errors.As(err, &pe):
		log.Print(err)
		return exitUsage
	}
	log.Print(err)
	return exitFailure
}

// parseArgs parses "[flags] [PACKAGE] [flags]", and with dashArgs also "-- ARGS...". It returns
// code -1 when the command should go on.
func parseArgs(fs *flag.FlagSet, args []string, dashArgs bool) (pkg string, rest []string, code int) {
	if dashArgs {
		for i, a := range args {
			if a == "--" {
				args, rest = args[:i], args[i+1:]
				if rest == nil {
					rest = []string{}
				}
				break
			}
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", nil, exitOK
			}
			return "", nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pkg, rest, -1
		}
		if pkg != "" {
			log.Printf("more than one package (%s, %s); program arguments go after --", pkg, args[0])
			fs.Usage()
			return "", nil, exitUsage
		}
		pkg, args = args[0], args[1:]
	}
}
