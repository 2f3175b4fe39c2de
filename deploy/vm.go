// This file implements the deployment files for hypervisors that boot the kernel's PVH entry
// directly, besides Xen's xl.cfg: a libvirt domain (libvirt.xml.tmpl, "Direct kernel boot" of
// https://libvirt.org/formatdomain.html#direct-kernel-boot), a Firecracker VM configuration
// (firecracker.json.tmpl, the --config-file format of Firecracker's docs/getting-started.md) and a
// Cloud Hypervisor command line (cloud-hypervisor.sh.tmpl, cloud-hypervisor --help of v4x).

package deploy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// VMParams are the values of a libvirt, Firecracker or Cloud Hypervisor deployment file.
type VMParams struct {
	Name      string // the domain name (DomainName's rules)
	Kernel    string // the kernel image's path as the hypervisor will see it (absolute for libvirt)
	MemoryMiB int    // 1 .. 1048576
	VCPUs     int    // 1 .. 128
	Cmdline   string // the kernel command line; may be empty
	// Network adds one virtio network device: libvirt's "default" network, the Firecracker and
	// Cloud Hypervisor tap device Tap (default "tap0").
	Network bool
	Tap     string
	// Disks are the program's block devices, in the order the kernel numbers them: raw images
	// on the host, attached as virtio-blk devices (libvirt's vda, vdb...; Firecracker drives;
	// Cloud Hypervisor --disk). Disk.VDev is Xen's and is not used here.
	Disks []Disk
}

// A Format is one kind of deployment file.
type Format struct {
	Name string // the -deploy name: libvirt, firecracker, cloud-hypervisor
	Ext  string // the file name's ending after the image's base name
	tmpl *template.Template
}

var (
	//go:embed libvirt.xml.tmpl
	libvirtText string
	//go:embed firecracker.json.tmpl
	firecrackerText string
	//go:embed cloud-hypervisor.sh.tmpl
	chText string

	vmFuncs = template.FuncMap{
		"xml":   xmlText,
		"json":  jsonString,
		"shell": shellWord,
		"vd":    func(i int) string { return "vd" + string(rune('a'+i)) },
	}
	// Formats are the deployment files for hypervisors other than Xen.
	Formats = []Format{
		{"libvirt", ".libvirt.xml", template.Must(template.New("libvirt").Funcs(vmFuncs).Parse(libvirtText))},
		{"firecracker", ".firecracker.json", template.Must(template.New("firecracker").Funcs(vmFuncs).Parse(firecrackerText))},
		{"cloud-hypervisor", ".cloud-hypervisor.sh", template.Must(template.New("ch").Funcs(vmFuncs).Parse(chText))},
	}
)

// FormatNamed returns the format called name.
func FormatNamed(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Render validates p and writes the file of format f to w; on a validation error nothing is
// written.
func (f Format) Render(w io.Writer, p VMParams) error {
	if !nameRE.MatchString(p.Name) {
		return fmt.Errorf("deploy: %s: invalid domain name %q (want 1-64 characters from [A-Za-z0-9_.-], starting with a letter or digit)", f.Name, p.Name)
	}
	if p.Kernel == "" {
		return fmt.Errorf("deploy: %s: empty kernel path", f.Name)
	}
	for what, s := range map[string]string{"kernel path": p.Kernel, "cmdline": p.Cmdline, "tap": p.Tap} {
		if err := checkText(what, s); err != nil {
			return fmt.Errorf("deploy: %s: %w", f.Name, err)
		}
	}
	if p.MemoryMiB < 1 || p.MemoryMiB > 1<<20 {
		return fmt.Errorf("deploy: %s: memory %d MiB out of range (1 .. 1048576)", f.Name, p.MemoryMiB)
	}
	if p.VCPUs < 1 || p.VCPUs > 128 {
		return fmt.Errorf("deploy: %s: vcpus %d out of range (1 .. 128)", f.Name, p.VCPUs)
	}
	if len(p.Disks) > 26 {
		return fmt.Errorf("deploy: %s: %d disks: at most 26 (vda to vdz)", f.Name, len(p.Disks))
	}
	for i, d := range p.Disks {
		if d.Target == "" {
			return fmt.Errorf("deploy: %s: disk %d: empty path", f.Name, i)
		}
		if err := checkText("disk path", d.Target); err != nil {
			return fmt.Errorf("deploy: %s: disk %d: %w", f.Name, i, err)
		}
		if f.Name == "cloud-hypervisor" && strings.ContainsAny(d.Target, ", ") {
			return fmt.Errorf("deploy: %s: disk %d: path %q has a comma or a space, which --disk path=... cannot carry", f.Name, i, d.Target)
		}
	}
	if p.Tap == "" {
		p.Tap = "tap0"
	}
	var b bytes.Buffer
	if err := f.tmpl.Execute(&b, p); err != nil {
		return fmt.Errorf("deploy: rendering %s: %w", f.Name, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// xmlText escapes s for XML character data and attribute values.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shellWord quotes s as one POSIX shell word.
func shellWord(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
