// Package deploy writes the deployment files unikgen renders beside a kernel image. For now that is
// the xl.cfg of the Xen target (xl.cfg.tmpl), rendered by XLConfig, with the domain's network
// interfaces and disks (Xen 4.17 docs/man/xl.cfg.5.pod, xl-network-configuration.5.pod,
// xl-disk-configuration.5.pod).
//
// The xl.cfg is what `unikgen build -target xen` writes as NAME.xl and what internal/host/xenlab boots
// under nested Xen (which overrides kernel and the on_* actions). Values are validated and quoted for
// xl's configuration parser (libxlu): strings are double-quoted, with `"` and `\` escaped by a
// backslash; control characters (newlines included) are rejected, as is a name that is not a plain
// identifier.
package deploy

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"
)

//go:embed xl.cfg.tmpl
var xlText string

var xlTemplate = template.Must(template.New("xl.cfg").Funcs(template.FuncMap{"quote": xlQuote, "vif": vifSpec, "disk": diskSpec}).Parse(xlText))

// vifSpec is v's entry of the vif list (xl-network-configuration: key=value pairs).
func vifSpec(v VIF) string {
	s := "bridge=" + v.Bridge
	if v.MAC != "" {
		s = "mac=" + strings.ToLower(v.MAC) + "," + s
	}
	return s
}

// diskSpec is d's entry of the disk list (xl-disk-configuration: target= must come last, and
// takes the rest of the string, commas included).
func diskSpec(d Disk) string {
	access := "rw"
	if d.ReadOnly {
		access = "ro"
	}
	return "format=raw, vdev=" + d.VDev + ", access=" + access + ", target=" + d.Target
}

// XLParams are the values of an xl.cfg for a unikgen PVH kernel.
type XLParams struct {
	// Name is the domain name: 1 to 64 characters from [A-Za-z0-9_.-], starting with a letter or
	// digit (xl allows more; unikgen keeps names that need no quoting anywhere).
	Name string
	// Kernel is the path of the kernel image as xl on the Xen host will see it (xl resolves a
	// relative path against its working directory).
	Kernel string
	// MemoryMiB is the domain's memory in MiB (1 .. 1048576).
	MemoryMiB int
	// VCPUs is the number of virtual CPUs (1 .. 128).
	VCPUs int
	// Cmdline is the kernel command line (hvm_start_info.cmdline_paddr); empty: no cmdline key.
	// It may contain quotes and backslashes (escaped when rendered), not control characters.
	Cmdline string
	// OnPoweroff, OnReboot and OnCrash are xl's actions when the domain shuts down with that
	// reason: "destroy" (the default for all three when empty), "restart", "preserve",
	// "rename-restart", "coredump-destroy", "coredump-restart" or "soft-reset".
	OnPoweroff, OnReboot, OnCrash string
	// VIFs are the domain's network interfaces (netfront): the vif = [...] list.
	VIFs []VIF
	// Disks are the domain's block devices (blkfront), /dev/xvda, /dev/xvdb... in order: the
	// disk = [...] list.
	Disks []Disk
}

// A VIF is one network interface: a vif entry (docs/man/xl-network-configuration.5.pod).
type VIF struct {
	// Bridge is the host bridge the backend's interface joins (xenbr0, say): 1 to 15 characters
	// from [A-Za-z0-9_.-].
	Bridge string
	// MAC is the interface's address (xx:xx:xx:xx:xx:xx); empty: xl picks one in Xen's
	// 00:16:3e range when the domain is created.
	MAC string
}

// A Disk is one block device: a disk entry (docs/man/xl-disk-configuration.5.pod), a raw image
// or device on the host.
type Disk struct {
	// Target is the image's path on the Xen host (a file, or a block device).
	Target string
	// ReadOnly exports it read-only (access=ro).
	ReadOnly bool
	// VDev is the guest's name for it; empty: xvda, xvdb... by position.
	VDev string
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	bridgeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
	macRE    = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$`)
	vdevRE   = regexp.MustCompile(`^xvd[a-z]$`)
)

var actions = map[string]bool{
	"destroy": true, "restart": true, "preserve": true, "rename-restart": true,
	"coredump-destroy": true, "coredump-restart": true, "soft-reset": true,
}

// XLConfig validates p and writes the rendered xl.cfg to w. On a validation error nothing is
// written.
func XLConfig(w io.Writer, p XLParams) error {
	if err := p.normalize(); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := xlTemplate.Execute(&b, p); err != nil {
		return fmt.Errorf("deploy: rendering xl.cfg: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (p *XLParams) normalize() error {
	if !nameRE.MatchString(p.Name) {
		return fmt.Errorf("deploy: xl.cfg: invalid domain name %q (want 1-64 characters from [A-Za-z0-9_.-], starting with a letter or digit)", p.Name)
	}
	if p.Kernel == "" {
		return fmt.Errorf("deploy: xl.cfg: empty kernel path")
	}
	if err := checkText("kernel path", p.Kernel); err != nil {
		return err
	}
	if err := checkText("cmdline", p.Cmdline); err != nil {
		return err
	}
	if p.MemoryMiB < 1 || p.MemoryMiB > 1<<20 {
		return fmt.Errorf("deploy: xl.cfg: memory %d MiB out of range (1 .. 1048576)", p.MemoryMiB)
	}
	if p.VCPUs < 1 || p.VCPUs > 128 {
		return fmt.Errorf("deploy: xl.cfg: vcpus %d out of range (1 .. 128)", p.VCPUs)
	}
	for i, v := range p.VIFs {
		if !bridgeRE.MatchString(v.Bridge) {
			return fmt.Errorf("deploy: xl.cfg: vif %d: invalid bridge name %q (want 1-15 characters from [A-Za-z0-9_.-])", i, v.Bridge)
		}
		if v.MAC != "" && !macRE.MatchString(v.MAC) {
			return fmt.Errorf("deploy: xl.cfg: vif %d: invalid MAC address %q (want six hexadecimal bytes like 00:16:3e:01:02:03)", i, v.MAC)
		}
	}
	p.Disks = append([]Disk(nil), p.Disks...) // VDev defaults are filled in: not in the caller's slice
	if len(p.Disks) > 26 {
		return fmt.Errorf("deploy: xl.cfg: %d disks: at most 26 (xvda to xvdz)", len(p.Disks))
	}
	for i := range p.Disks {
		d := &p.Disks[i]
		if d.Target == "" {
			return fmt.Errorf("deploy: xl.cfg: disk %d: empty target path", i)
		}
		if err := checkText(fmt.Sprintf("disk %d target", i), d.Target); err != nil {
			return err
		}
		if d.VDev == "" {
			d.VDev = "xvd" + string(rune('a'+i))
		}
		if !vdevRE.MatchString(d.VDev) {
			return fmt.Errorf("deploy: xl.cfg: disk %d: invalid vdev %q (want xvda...xvdz)", i, d.VDev)
		}
	}
	for _, a := range []*string{&p.OnPoweroff, &p.OnReboot, &p.OnCrash} {
		if *a == "" {
			*a = "destroy"
		}
		if !actions[*a] {
			return fmt.Errorf("deploy: xl.cfg: unknown action %q (want destroy, restart, preserve, rename-restart, coredump-destroy, coredump-restart or soft-reset)", *a)
		}
	}
	return nil
}

// checkText rejects what xl's parser cannot take inside a quoted string on one line.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("deploy: xl.cfg: %s is not valid UTF-8", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("deploy: xl.cfg: %s contains the control character %q", what, r)
		}
	}
	return nil
}

// xlQuote returns s as an xl.cfg double-quoted string (libxlu dequotes \" \' \\).
func xlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
