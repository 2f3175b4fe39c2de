// Package pipeline runs unikgen's stages for one kernel, in order: resolve the main package and the
// library OS it builds against (package build, one go list), generate the plan and the composition
// root from the program's configuration and the whole-program analysis (package gen: the program
// is loaded once, by the analysis), build with go build and the overlay, patch and measure the
// image (packages build and image), and render the deployment files beside it (package deploy).
//
// Build is the one call that cmd/unikgen, the benchmarks and the tests use to make an image. It
// prints nothing and never exits: warnings and advice are in the Result, failures are typed errors
// (gen.ConfigErrors, *gen.LoadError, *gen.UnsupportedError, *build.PackageError, *build.GoError,
// *build.OutputError, *MemoryError).
package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/plan"
)

// Options say what to build.
type Options struct {
	// Gen are the generator's options: directory, package, tags, environment, -generic, the CLI's
	// overrides of config.Kernel, host files.
	Gen gen.Options
	// Output is the image to write, or a directory to write it into; "" is build.DefaultImageName
	// in Gen.Dir. See build.ImageOutput for what may be overwritten.
	Output string
	// LDFlags are more go build -ldflags, after unikgen's own (for example "-s -w").
	LDFlags string
	// Deploy writes the deployment files beside the image (see Result.Deployment).
	Deploy bool
	// XLKernel is the kernel path written into NAME.xl, as xl on the Xen host will see it (xl
	// resolves a relative path against its working directory); "" is the image's absolute path
	// on this machine.
	XLKernel string
	// XLDevices are the domain's network interface and disks in NAME.xl, and the disks of the
	// other deployment files (Formats).
	XLDevices XLDevices
	// Formats are more deployment files to write beside the image, by deploy.Format name
	// (libvirt, firecracker, cloud-hypervisor): IMAGE-BASE + the format's Ext. They boot the
	// kernel on QEMU/KVM-like hypervisors, so a -target xen kernel is refused.
	Formats []string
	// CheckMemory refuses an image that needs more memory than the plan gives it. It is always
	// done when Deploy writes an xl config, whose memory is the plan's, and when the program's
	// config.Kernel.MemoryMiB or the -m override sets the memory. The Result of such a refusal
	// has the image.
	CheckMemory bool
	// Planned, if set, is called with the generator's result before the build starts; an error it
	// returns ends Build with that error (unikgen run checks its flags against the plan there).
	Planned func(*gen.Result) error
	// Trace, if set, receives each command that is run (go list, go build), as -x prints them.
	Trace func(args []string)
	// Progress, if set, hears about long work, one line at a time: go build compiling the
	// standard library for the kernel (a first build), and how long that took
	// (build.Options.Progress).
	Progress func(msg string)
}

// Result is a built kernel.
type Result struct {
	Package *build.Package // the main package and the library OS, as resolved
	Gen     *gen.Result    // the plan, the composition root, the analysis, warnings and advice
	Build   *build.Result  // the image: path, size, entry, minimum memory
	// Deployment are the deployment files written beside the image (Options.Deploy): NAME.xl
	// for a kernel that runs on Xen.
	Deployment []string
}

// MemoryError is a guest memory smaller than the image needs.
type MemoryError struct {
	MiB, MinMiB int
	From        string // where MiB comes from: "-m", a source position, or "" (the default)
	Image       string
}

func (e *MemoryError) Error() string {
	name := filepath.Base(e.Image)
	switch e.From {
	case "-m":
		return fmt.Sprintf("-m %d: %s needs at least %d MiB of memory (the image, and what the kernel and the Go runtime need to start)", e.MiB, name, e.MinMiB)
	case "":
		return fmt.Sprintf("%s needs at least %d MiB of memory, more than the default %d MiB: give it more with -m or config.Kernel.MemoryMiB", name, e.MinMiB, e.MiB)
	}
	return fmt.Sprintf("%s: config.Kernel.MemoryMiB: %d MiB is less than the %d MiB that %s needs (the image, and what the kernel and the Go runtime need to start)", e.From, e.MiB, e.MinMiB, name)
}

// CheckMemory returns a *MemoryError when mib MiB (from says where it comes from) is less than
// the image needs: image.MinMemoryMiB, its loaded part plus what the kernel and the Go runtime
// need to start. Booted with less, the kernel would only stop with "not enough memory", or hang
// before it can say anything.
func CheckMemory(mib int, from, image string, minMiB int) error {
	if mib >= minMiB {
		return nil
	}
	return &MemoryError{MiB: mib, MinMiB: minMiB, From: from, Image: image}
}

// Build runs the pipeline for o.
func Build(ctx context.Context, o Options) (*Result, error) {
	bo := build.Options{Dir: o.Gen.Dir, Package: o.Gen.Package, Tags: o.Gen.Tags, ExtraEnv: o.Gen.Env, LDFlags: o.LDFlags, Trace: o.Trace,
		Progress: o.Progress, ListDeps: o.Gen.Cache != nil && !o.Gen.Generic && o.Gen.Analysis == nil}
	// With the cache, go build starts at once, as the last build of this program and flags did
	// (speculate.go): when the package and the composition root are the same again, as they are
	// for an unchanged program or for most edits, its image is the build's, and go build ran
	// while the package was listed and the plan made.
	// And when the inputs of the last build's analysis key are all as they were (its snapshot:
	// the same files, as the key saw them), the package is taken as that build resolved it and
	// the key as it was: no go list at all, for an unchanged program. When that snapshot also
	// vouched for the linker's output (it covers all that go build reads, and nothing changed
	// while go build ran), there is no go build either: the image is made from that output.
	var spec *speculation
	var snap *cache.Snapshot // the last build's, when its inputs are as they were
	var pre *cache.Snapshot  // the last build's inputs as they were before go build started
	gopts := o.Gen
	var last *lastBuild
	if c := o.Gen.Cache; c != nil {
		dir, err := filepath.Abs(o.Gen.Dir)
		if err != nil {
			return nil, err
		}
		bo.LinkDir = c.LinkDir(dir, o.Gen.Package, strings.Join(o.Gen.Tags, ","), o.LDFlags, strings.Join(o.Gen.Env, "\x00"))
		last = readLast(bo.LinkDir)
		if last != nil && last.Snapshot != nil && bo.ListDeps {
			pre = last.Snapshot.Current()
			if last.Snapshot.SeenIn(pre) {
				snap = last.Snapshot
				gopts.CacheKey = snap.Key
			}
		}
		if snap == nil || last.Linked == nil {
			spec = speculate(ctx, bo, last)
			defer func() { spec.stop() }() // unless the build took it (spec = nil)
		}
	}
	var pkg *build.Package
	var err error
	if snap != nil {
		p := last.Package
		pkg = &p
	} else if pkg, err = build.Resolve(ctx, bo); err != nil {
		return nil, err
	}
	// The destinations are checked before the slow work.
	if bo.Output, err = build.ImageOutput(o.Gen.Dir, o.Output, pkg.ImportPath); err != nil {
		return nil, err
	}
	bo.Resolved = pkg
	gopts.LibOS, gopts.Listing = pkg.LibOS, pkg.Listing
	g, err := gen.Generate(ctx, gopts)
	if err == nil {
		err = g.Unsupported()
	}
	var le *gen.LoadError
	if errors.As(err, &le) {
		// A program that does not compile: go build says why in its own words.
		tmp, terr := os.MkdirTemp("", "unikgen-check-")
		if terr == nil {
			defer os.RemoveAll(tmp)
			co := bo
			co.Output, co.Progress, co.LinkDir = filepath.Join(tmp, "kernel"), nil, ""
			if _, berr := build.Build(ctx, co); berr != nil {
				return nil, berr
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if o.Planned != nil {
		if err := o.Planned(g); err != nil {
			return &Result{Package: pkg, Gen: g}, err
		}
	}
	var formats []deploy.Format
	for _, name := range o.Formats {
		f, ok := deploy.FormatNamed(name)
		if !ok {
			return nil, fmt.Errorf("-deploy %s: unknown deployment file (want libvirt, firecracker or cloud-hypervisor)", name)
		}
		if g.Plan.Target == config.Xen {
			return nil, fmt.Errorf("-deploy %s: a -target xen kernel has no QEMU/KVM platform to boot there", name)
		}
		formats = append(formats, f)
	}
	xl := o.Deploy && g.Plan.Target != config.QEMU // a -target qemu kernel does not run on Xen
	if xl {
		if err := checkXLOutput(deploy.XLPath(bo.Output)); err != nil {
			return nil, err
		}
	}
	bo.BootOverlay = g.BootOverlay
	// The snapshot of this build's inputs: the last build's when they are as they were, else the
	// key's, with the module trees as they were before go build started reading them.
	cur := snap
	if cur == nil && g.Cache.Snapshot != nil {
		cur = g.Cache.Snapshot
		cur.Trees = treesBefore(cur.Roots, pre)
	}
	var b *build.Result
	reused, fromSpec := false, false
	if snap != nil && last.Linked != nil && sameOverlay(last.Overlay, g.BootOverlay) {
		if b, err = build.FromLinked(ctx, bo, pkg, last.Linked); err != nil {
			return nil, err
		}
		reused = b != nil
		if reused && o.Gen.Progress != nil {
			o.Gen.Progress("image: from the linker's output of the last build, which nothing go build reads has changed since (no go build)")
		}
	}
	if b == nil && spec != nil {
		b = spec.result(pkg, g.BootOverlay, bo.Output)
		spec, fromSpec = nil, b != nil
	}
	if b == nil {
		if b, err = build.Build(ctx, bo); err != nil {
			return nil, err
		}
	}
	if bo.LinkDir != "" {
		// The linker's output is vouched for when the snapshot covers all that go build read,
		// the snapshot's states were those before go build started and are still those now (or
		// when it is the output the last build vouched for, and no go build ran).
		linked := b.Linked
		if !reused && !(cur.CoversBuild() && (!fromSpec || cur.SeenIn(pre)) && cur.Unchanged()) {
			linked = nil
		}
		writeLast(bo.LinkDir, pkg, g.BootOverlay, cur, linked) // cur nil: list again next time
	}
	r := &Result{Package: pkg, Gen: g, Build: b}
	if o.CheckMemory || xl || g.MemoryFrom != "" {
		if err := CheckMemory(g.Plan.MemoryMiB, g.MemoryFrom, b.Image, b.MinMemoryMiB); err != nil {
			return r, err
		}
	}
	if xl {
		path := deploy.XLPath(b.Image)
		kernel := o.XLKernel
		if kernel == "" {
			if kernel, err = filepath.Abs(b.Image); err != nil {
				return r, err
			}
		}
		text, err := XLConfig(kernel, g.Plan, g.Plan.MemoryMiB, o.XLDevices.ForImage(b.Image))
		if err != nil {
			return r, err
		}
		if err := os.WriteFile(path, text, 0o644); err != nil {
			return r, err
		}
		r.Deployment = append(r.Deployment, path)
	}
	_, disks := o.XLDevices.ForImage(b.Image).Devices(g.Plan)
	for _, f := range formats {
		abs, err := filepath.Abs(b.Image)
		if err != nil {
			return r, err
		}
		var text bytes.Buffer
		err = f.Render(&text, deploy.VMParams{Name: deploy.DomainName(g.Plan.Name), Kernel: abs, MemoryMiB: g.Plan.MemoryMiB,
			VCPUs: 1, Cmdline: g.Plan.Cmdline, Network: g.Plan.Has("network"), Disks: disks})
		if err != nil {
			return r, err
		}
		path := strings.TrimSuffix(b.Image, filepath.Ext(b.Image)) + f.Ext
		if err := os.WriteFile(path, text.Bytes(), 0o644); err != nil {
			return r, err
		}
		r.Deployment = append(r.Deployment, path)
	}
	return r, nil
}

// treesBefore returns the trees of roots as pre holds them, taken before go build started, when
// pre has them all; else as they are now.
func treesBefore(roots []string, pre *cache.Snapshot) []cache.Tree {
	if pre != nil {
		have := map[string]cache.Tree{}
		for _, t := range pre.Trees {
			have[t.Root] = t
		}
		var trees []cache.Tree
		for _, r := range roots {
			if t, ok := have[r]; ok {
				trees = append(trees, t)
			}
		}
		if len(trees) == len(roots) {
			return trees
		}
	}
	return cache.WalkTrees(roots)
}

// XLOnCrash is the on_crash action of the xl config that Build writes: the crashed domain stays
// (state "c" in xl list) so that it can be inspected (xl dump-core) before xl destroy. Poweroff
// and reboot destroy it.
const XLOnCrash = "preserve"

// DefaultBridge is the Xen host's bridge of the domain's network interface when XLDevices.Bridge
// is not given.
const DefaultBridge = "xenbr0"

// XLDevices are the domain's devices in its xl config: a vif on Bridge when the program uses the
// network, and Disks when it can use block devices (else DefaultDisk, if given: a disk holds the
// user's data, so none is made up). A generic kernel, which links every component whether the
// program needs it or not, gets them only when asked (Bridge, Disks).
type XLDevices struct {
	Bridge string // "" is DefaultBridge
	Disks  []deploy.Disk
	// DefaultDisk is the disk of a specialised kernel that can use block devices when Disks is
	// empty: Build sets it to NAME.img beside the image when that file exists.
	DefaultDisk string
}

// ForImage returns d with DefaultDisk set to NAME.img beside image when that file exists.
func (d XLDevices) ForImage(image string) XLDevices {
	abs, err := filepath.Abs(image)
	if err != nil {
		return d
	}
	img := strings.TrimSuffix(abs, filepath.Ext(abs)) + ".img"
	if st, err := os.Stat(img); err == nil && !st.IsDir() {
		d.DefaultDisk = img
	}
	return d
}

// Devices returns the network interfaces and disks of the xl config of a kernel of plan p.
func (d XLDevices) Devices(p *plan.Plan) (vifs []deploy.VIF, disks []deploy.Disk) {
	if p.Has("network") && (!p.Generic || d.Bridge != "") {
		bridge := d.Bridge
		if bridge == "" {
			bridge = DefaultBridge
		}
		vifs = []deploy.VIF{{Bridge: bridge}}
	}
	switch {
	case !p.Has("block"):
	case len(d.Disks) > 0 || p.Generic:
		disks = d.Disks
	case d.DefaultDisk != "":
		disks = []deploy.Disk{{Target: d.DefaultDisk}}
	}
	return vifs, disks
}

// XLConfig renders the xl config of the kernel image for plan p with memory MiB and devices dev.
// A relative image path is made absolute unless it starts with "./" or "../" (a path the user
// chose relative to where xl will run).
func XLConfig(image string, p *plan.Plan, memoryMiB int, dev XLDevices) ([]byte, error) {
	abs := image
	if !strings.HasPrefix(image, "./") && !strings.HasPrefix(image, "../") {
		var err error
		if abs, err = filepath.Abs(image); err != nil {
			return nil, err
		}
	}
	params := deploy.XLParams{
		Name: deploy.DomainName(p.Name), Kernel: abs, MemoryMiB: memoryMiB, VCPUs: 1,
		Cmdline: p.Cmdline, OnCrash: XLOnCrash,
	}
	params.VIFs, params.Disks = dev.Devices(p)
	var b bytes.Buffer
	err := deploy.XLConfig(&b, params)
	return b.Bytes(), err
}

// checkXLOutput refuses an xl config path that holds a file unikgen did not write.
func checkXLOutput(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		defer f.Close()
		line, _ := bufio.NewReader(f).ReadString('\n')
		if strings.HasPrefix(line, deploy.XLHeader) {
			return nil // an xl config of an earlier build
		}
	}
	return &build.OutputError{Path: path, Err: "already exists and is not an xl config written by unikgen; not overwriting it"}
}
