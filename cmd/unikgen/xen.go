// This file implements the Xen side of "unikgen build" (NAME.xl) and "unikgen run -target xen".

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/host/xenlab"
)

// xlOnCrash is the on_crash action of the xl config that build writes: the crashed domain stays
// (state "c" in xl list) so that it can be inspected (xl dump-core) before xl destroy. Poweroff
// and reboot destroy it.
const xlOnCrash = "preserve"

// xlPath returns the path of the xl config written beside image: the image's path with its
// extension replaced by ".xl" (hello.xen -> hello.xl).
func xlPath(image string) string {
	ext := filepath.Ext(image)
	if ext == ".xl" {
		return image + ".xl"
	}
	return strings.TrimSuffix(image, ext) + ".xl"
}

// domainName turns a program name into an xl domain name (deploy.XLParams.Name): characters
// outside [A-Za-z0-9_.-] become '-', leading '_', '.' and '-' are dropped, at most 64 characters;
// "unikgen" if nothing is left.
func domainName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "_.-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "unikgen"
	}
	return s
}

// DefaultBridge is the host bridge of the domain's network interface when -bridge is not given.
const DefaultBridge = "xenbr0"

// xlDevices are the domain's devices in its xl config: a vif on bridge when the program uses
// the network, and disks when it can use block devices: the -disk flags, else NAME.img beside
// the image if that file exists (a disk holds the user's data: none is made up). A generic
// kernel, which links every component whether the program needs it or not, gets them only when
// asked (-bridge, -disk).
type xlDevices struct {
	bridge    string
	bridgeSet bool
	disks     xlDiskFlags
}

func (d xlDevices) vif(p *plan.Plan) bool {
	return p.Has("network") && (!p.Generic || d.bridgeSet)
}

// diskList returns the disks of image's xl config.
func (d xlDevices) diskList(image string, p *plan.Plan) []deploy.Disk {
	if !p.Has("block") {
		return nil
	}
	if len(d.disks) > 0 || p.Generic {
		return d.disks
	}
	if img := defaultDisk(image); img != "" {
		if st, err := os.Stat(img); err == nil && !st.IsDir() {
			return []deploy.Disk{{Target: img}}
		}
	}
	return nil
}

// defaultDisk is NAME.img beside image, as an absolute path.
func defaultDisk(image string) string {
	abs, err := filepath.Abs(image)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(abs, filepath.Ext(abs)) + ".img"
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

// xlConfig renders the xl config of the kernel image for plan p with memory MiB and devices dev.
func xlConfig(image string, p *plan.Plan, memoryMiB int, dev xlDevices) ([]byte, error) {
	abs, err := filepath.Abs(image)
	if err != nil {
		return nil, err
	}
	params := deploy.XLParams{
		Name: domainName(p.Name), Kernel: abs, MemoryMiB: memoryMiB, VCPUs: 1,
		Cmdline: p.Cmdline, OnCrash: xlOnCrash,
	}
	if dev.vif(p) {
		bridge := dev.bridge
		if bridge == "" {
			bridge = DefaultBridge
		}
		params.VIFs = []deploy.VIF{{Bridge: bridge}}
	}
	params.Disks = dev.diskList(image, p)
	var b bytes.Buffer
	err = deploy.XLConfig(&b, params)
	return b.Bytes(), err
}

// writeXLConfig writes the xl config of image (built for p) beside it and returns its path.
func writeXLConfig(image string, p *plan.Plan, dev xlDevices) (string, error) {
	text, err := xlConfig(image, p, p.MemoryMiB, dev)
	if err != nil {
		return "", err
	}
	path := xlPath(image)
	if err := os.WriteFile(path, text, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// announceWriter passes writes to w, preceded once, before the first one, by header. EnsureCache
// prints nothing when the harness is ready, so the header appears only when it is being built.
type announceWriter struct {
	w      io.Writer
	header string
	once   sync.Once
}

func (a *announceWriter) Write(p []byte) (int, error) {
	a.once.Do(func() { io.WriteString(a.w, a.header) })
	return a.w.Write(p)
}

// ensureXenHarness builds the nested-Xen harness on first use, saying so on stderr.
func ensureXenHarness(ctx context.Context) int {
	dir, err := xenlab.DefaultCacheDir()
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	w := &announceWriter{w: os.Stderr, header: fmt.Sprintf(
		"unikgen: -target xen boots the kernel as a PVH domain of real Xen %s nested in QEMU (TCG).\n"+
			"unikgen: first use: building that harness in %s from Debian packages\n"+
			"unikgen: (Xen, a dom0 kernel, the Xen tools: about 77 MB, downloaded once; set %s to move it).\n",
		xenlab.XenVersion, dir, xenlab.CacheEnv)}
	if err := xenlab.EnsureCache(ctx, dir, w); err != nil {
		if interrupted(ctx) {
			return exitFailure // main reports the interruption
		}
		log.Printf("cannot build the nested-Xen harness: %v", err)
		return exitFailure
	}
	return -1
}

// xenRun is one "unikgen run -target xen".
type xenRun struct {
	image     string
	plan      *plan.Plan
	memoryMiB int
	cmdline   string        // cmdline.Encode(env, args); "" keeps the plan's default
	wait      time.Duration // -timeout: how long the domain may run
}

// runXen boots r.image under nested Xen and returns the exit status of unikgen run: the program's
// status, 124 when it ran past -timeout (or the harness did), 2 without QEMU, 1 when the guest
// crashed, rebooted or ended without a status, or the harness failed.
func runXen(ctx context.Context, r xenRun) int {
	text, err := xlConfig(r.image, r.plan, r.memoryMiB, xlDevices{})
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	wait := r.wait.Round(time.Second)
	if wait < r.wait {
		wait += time.Second
	}
	if wait == 0 { // -timeout 0: no limit
		wait = xenNoLimit
	}
	stdin, err := xenInput()
	if err != nil {
		log.Print(err)
		return exitUsage
	}
	res, err := xenlab.Run(ctx, xenlab.RunOptions{
		Image: r.image, XLConfig: string(text), Cmdline: r.cmdline, Wait: wait, Log: os.Stderr, Stdin: stdin,
	})
	if res != nil && len(res.Console) > 0 {
		os.Stdout.Write(res.Console)
		reportKernelFault(r.image, res.Console)
	}
	var nf *xenlab.NotFoundError
	var te *xenlab.TimeoutError
	switch {
	case errors.As(err, &nf):
		log.Print(err)
		return exitUsage
	case errors.As(err, &te):
		log.Print(err)
		return exitTimeout
	case err != nil && interrupted(ctx):
		if res != nil && res.WorkDir != "" {
			os.RemoveAll(res.WorkDir) // the logs of an interrupted run
		}
		return exitFailure // main reports the interruption
	case err != nil:
		log.Print(err)
		return exitFailure
	}
	status, err := res.Status()
	var ge *xenlab.GuestError
	switch {
	case err == nil:
		os.RemoveAll(res.WorkDir) // a clean run: its logs are not needed
		return status & 0xff
	case errors.As(err, &ge) && ge.Shutdown == "destroyed":
		log.Printf("the program was still running after -timeout %v: its domain was destroyed (console log %s, Xen serial log %s)",
			wait, res.GuestLog, res.XenLog)
		return exitTimeout
	}
	log.Printf("%v\nunikgen: console log %s", err, res.GuestLog)
	return exitFailure
}

// xlDevicesNote describes the devices xlConfig put into the xl config, for build's last line.
func xlDevicesNote(image string, p *plan.Plan, dev xlDevices) string {
	var s string
	if dev.vif(p) {
		b := dev.bridge
		if b == "" {
			b = DefaultBridge
		}
		s += ", vif on bridge " + b
	}
	switch disks := dev.diskList(image, p); {
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
