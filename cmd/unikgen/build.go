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
	"strings"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/imagesize"
	"github.com/unikgen/unikgen/pipeline"
)

func runBuild(ctx context.Context, args []string) int {
	fs := newFlags("build")
	out := fs.String("o", "", "write the image to `FILE`, or into a directory (default: the package name + .xen); an existing file that is not an ELF file is not overwritten")
	mem := fs.Int("m", 0, "guest memory in `MiB` written to the xl config (overrides config.Kernel.MemoryMiB; default 128)")
	var disks xlDiskFlags
	bridge := fs.String("bridge", "", "the Xen host's `BRIDGE` for the domain's network interface, in the xl config (programs that use sockets; default "+pipeline.DefaultBridge+")")
	fs.Var(&disks, "disk", "a disk of the domain in the xl config (/dev/xvda first) and the -deploy files (vda first): a raw image `PATH[:ro]` on the host (repeatable; programs that use block devices; default NAME.img beside the image)")
	xlKernel := fs.String("xl-kernel", "", "the kernel `PATH` written into NAME.xl, as xl on the Xen host sees it (default: the image's absolute path; ./ and ../ paths are kept relative, to xl's working directory)")
	formats := fs.String("deploy", "", "also write these deployment files beside the image: a comma-separated list of libvirt, firecracker, cloud-hypervisor")
	gf := addGenFlags(fs)
	pkg, _, code := parseArgs(fs, args, false)
	if code >= 0 {
		return code
	}
	opts := gf.pipeline(pkg)
	opts.Output, opts.Deploy, opts.XLKernel = *out, true, *xlKernel
	opts.XLDevices = pipeline.XLDevices{Bridge: *bridge, Disks: disks}
	for _, f := range strings.Split(*formats, ",") {
		if f = strings.TrimSpace(f); f != "" {
			if _, ok := deploy.FormatNamed(f); !ok {
				log.Printf("-deploy %s: unknown deployment file (want libvirt, firecracker or cloud-hypervisor)", f)
				return exitUsage
			}
			opts.Formats = append(opts.Formats, f)
		}
	}
	if flagSet(fs, "m") {
		if err := checkMemory("-m", *mem, false); err != nil {
			log.Print(err)
			return exitUsage
		}
		opts.Gen.Overrides.MemoryMiB = mem
		opts.CheckMemory = true
	}
	res, err := pipeline.Build(ctx, opts)
	if res != nil {
		printNotes(res.Gen)
		if b := res.Build; b != nil {
			os.Stderr.Write(b.Stderr)
			file, loaded, err := imagesize.Sizes(b.Image)
			if err != nil {
				log.Print(err)
				return exitFailure
			}
			fmt.Printf("%s: file %d bytes, memory %d bytes, needs at least %d MiB of memory\n", b.Image, file, loaded, b.MinMemoryMiB)
		}
	}
	if err != nil {
		return pipelineFailed(ctx, *out, err)
	}
	g, b := res.Gen, res.Build
	if g.RootFSSize > 0 {
		from := g.Plan.RootFS
		for _, h := range g.Plan.HostFiles {
			if from != "" {
				from += " + "
			}
			from += "host " + h
		}
		fmt.Printf("%s: root file system (%s): %d bytes baked in\n", b.Image, from, g.RootFSSize)
	}
	for _, f := range res.Deployment {
		what, note := "xl config", ""
		if f == deploy.XLPath(b.Image) {
			note = xlDevicesNote(opts.XLDevices.ForImage(b.Image), g.Plan)
		}
		for _, d := range deploy.Formats {
			if strings.HasSuffix(f, d.Ext) {
				what = d.Name + " configuration"
			}
		}
		fmt.Printf("%s: %s (memory %d MiB%s)\n", f, what, g.Plan.MemoryMiB, note)
	}
	return exitOK
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// printNotes prints the plan's warnings and the generator's advice.
func printNotes(g *gen.Result) {
	if g == nil {
		return
	}
	if g.Cache.Warning != "" {
		log.Printf("warning: %s", g.Cache.Warning)
	}
	if g.Plan == nil {
		return
	}
	for _, w := range g.Plan.Warnings {
		log.Printf("warning: %s", w)
	}
	for _, a := range g.Advice {
		log.Print(a)
	}
}

// pipelineFailed reports an error of pipeline.Build (out is the -o flag) and returns the exit
// status.
func pipelineFailed(ctx context.Context, out string, err error) int {
	var oe *build.OutputError
	var me *pipeline.MemoryError
	switch {
	case interrupted(ctx):
		return exitFailure // main reports the interruption
	case errors.As(err, &oe):
		reportOutputError(out, err)
		return exitUsage
	case errors.As(err, &me):
		log.Print(err)
		return exitUsage
	}
	var ge *build.GoError
	var pe *build.PackageError
	if errors.As(err, &ge) || errors.As(err, &pe) {
		return buildFailed(ctx, err)
	}
	return genFailed(ctx, err)
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

// xlDevicesNote describes the devices of the xl config of a kernel of plan p, for build's output.
func xlDevicesNote(dev pipeline.XLDevices, p *plan.Plan) string {
	var s string
	vifs, disks := dev.Devices(p)
	for _, v := range vifs {
		s += ", vif on bridge " + v.Bridge
	}
	switch {
	case len(disks) > 0:
		s += ", disk"
		for i, d := range disks {
			s += fmt.Sprintf(" xvd%c %s", 'a'+i, d.Target)
		}
	case p.Has("block") && !p.Generic:
		s += ", no disk (-disk PATH gives the domain /dev/xvda)"
	}
	return s
}

// xlDiskFlags are build's -disk PATH[:ro] flags: disk images on the Xen host, which need not
// exist on the build machine.
type xlDiskFlags []deploy.Disk

func (d *xlDiskFlags) String() string {
	var s []string
	for _, x := range *d {
		s = append(s, x.Target)
	}
	return strings.Join(s, " ")
}

func (d *xlDiskFlags) Set(v string) error {
	disk := deploy.Disk{Target: v}
	if f, ok := strings.CutSuffix(v, ":ro"); ok {
		disk = deploy.Disk{Target: f, ReadOnly: true}
	}
	if disk.Target == "" {
		return fmt.Errorf("empty path")
	}
	abs, err := filepath.Abs(disk.Target)
	if err != nil {
		return err
	}
	disk.Target = abs
	*d = append(*d, disk)
	return nil
}
