package deploy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var vmCases = []VMParams{
	{Name: "hello", Kernel: "/srv/k/hello.xen", MemoryMiB: 128, VCPUs: 1},
	{Name: "web-1", Kernel: "/srv/k/a&b <c>.xen", MemoryMiB: 256, VCPUs: 2, Network: true,
		Cmdline: `GREETING="hi & 'there'" -- -v <x>`, Tap: "tap7",
		Disks: []Disk{{Target: "/srv/d/data.img"}, {Target: "/srv/d/seed&'1'.img", ReadOnly: true}}},
}

func render(t *testing.T, name string, p VMParams) []byte {
	t.Helper()
	f, ok := FormatNamed(name)
	if !ok {
		t.Fatalf("no format %s", name)
	}
	var b bytes.Buffer
	if err := f.Render(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLibvirtXML(t *testing.T) {
	for _, p := range vmCases {
		out := render(t, "libvirt", p)
		var d struct {
			Type   string `xml:"type,attr"`
			Name   string `xml:"name"`
			Memory struct {
				Unit  string `xml:"unit,attr"`
				Value int    `xml:",chardata"`
			} `xml:"memory"`
			VCPU int `xml:"vcpu"`
			OS   struct {
				Type    string `xml:"type"`
				Kernel  string `xml:"kernel"`
				Cmdline string `xml:"cmdline"`
			} `xml:"os"`
			Disks []struct {
				Type   string `xml:"type,attr"`
				Device string `xml:"device,attr"`
				Driver struct {
					Type string `xml:"type,attr"`
				} `xml:"driver"`
				Source struct {
					File string `xml:"file,attr"`
				} `xml:"source"`
				Target struct {
					Dev string `xml:"dev,attr"`
					Bus string `xml:"bus,attr"`
				} `xml:"target"`
				ReadOnly *struct{} `xml:"readonly"`
			} `xml:"devices>disk"`
			Interfaces []struct {
				Type  string `xml:"type,attr"`
				Model struct {
					Type string `xml:"type,attr"`
				} `xml:"model"`
			} `xml:"devices>interface"`
		}
		if err := xml.Unmarshal(out, &d); err != nil {
			t.Fatalf("%s: not XML: %v\n%s", p.Name, err, out)
		}
		if d.Type != "kvm" || d.Name != p.Name || d.Memory.Unit != "MiB" || d.Memory.Value != p.MemoryMiB || d.VCPU != p.VCPUs ||
			d.OS.Type != "hvm" || d.OS.Kernel != p.Kernel || d.OS.Cmdline != p.Cmdline {
			t.Errorf("%s: parsed %+v from\n%s", p.Name, d, out)
		}
		if len(d.Disks) != len(p.Disks) {
			t.Errorf("%s: disks %+v, want %d", p.Name, d.Disks, len(p.Disks))
		}
		for i, k := range d.Disks {
			want := p.Disks[i]
			if k.Type != "file" || k.Device != "disk" || k.Driver.Type != "raw" || k.Source.File != want.Target ||
				k.Target.Dev != "vd"+string(rune('a'+i)) || k.Target.Bus != "virtio" || (k.ReadOnly != nil) != want.ReadOnly {
				t.Errorf("%s: disk %d: %+v, want %+v", p.Name, i, k, want)
			}
		}
		if n := len(d.Interfaces); n != map[bool]int{false: 0, true: 1}[p.Network] || n == 1 && d.Interfaces[0].Model.Type != "virtio" {
			t.Errorf("%s: interfaces %+v, network %v", p.Name, d.Interfaces, p.Network)
		}
	}
}

func TestFirecrackerJSON(t *testing.T) {
	for _, p := range vmCases {
		out := render(t, "firecracker", p)
		var c struct {
			Boot struct {
				Kernel string `json:"kernel_image_path"`
				Args   string `json:"boot_args"`
			} `json:"boot-source"`
			Drives []struct {
				ID       string `json:"drive_id"`
				Path     string `json:"path_on_host"`
				Root     bool   `json:"is_root_device"`
				ReadOnly bool   `json:"is_read_only"`
			} `json:"drives"`
			Machine struct {
				VCPUs int `json:"vcpu_count"`
				Mem   int `json:"mem_size_mib"`
			} `json:"machine-config"`
			Net []struct {
				ID  string `json:"iface_id"`
				Dev string `json:"host_dev_name"`
			} `json:"network-interfaces"`
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v\n%s", p.Name, err, out)
		}
		if c.Boot.Kernel != p.Kernel || c.Boot.Args != p.Cmdline || c.Machine.VCPUs != p.VCPUs || c.Machine.Mem != p.MemoryMiB {
			t.Errorf("%s: parsed %+v from\n%s", p.Name, c, out)
		}
		if len(c.Drives) != len(p.Disks) {
			t.Errorf("%s: drives %+v, want %d", p.Name, c.Drives, len(p.Disks))
		}
		for i, d := range c.Drives {
			if want := p.Disks[i]; d.ID != "vd"+string(rune('a'+i)) || d.Path != want.Target || d.Root || d.ReadOnly != want.ReadOnly {
				t.Errorf("%s: drive %d: %+v, want %+v", p.Name, i, d, want)
			}
		}
		if p.Network != (len(c.Net) == 1) || p.Network && c.Net[0].Dev != p.Tap {
			t.Errorf("%s: network %+v", p.Name, c.Net)
		}
	}
}

// TestCloudHypervisorScript runs the script with a cloud-hypervisor that prints its arguments.
func TestCloudHypervisorScript(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(bin, "cloud-hypervisor"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range vmCases {
		script := filepath.Join(t.TempDir(), "run.sh")
		if err := os.WriteFile(script, render(t, "cloud-hypervisor", p), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", script, "--extra")
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.Name, err, out)
		}
		want := []string{"--kernel", p.Kernel}
		if p.Cmdline != "" {
			want = append(want, "--cmdline", p.Cmdline)
		}
		if len(p.Disks) > 0 {
			want = append(want, "--disk")
			for _, d := range p.Disks {
				want = append(want, "path="+d.Target+map[bool]string{true: ",readonly=on"}[d.ReadOnly])
			}
		}
		if p.Network {
			want = append(want, "--net", "tap="+p.Tap)
		}
		want = append(want, "--memory", "size="+itoa(p.MemoryMiB)+"M", "--cpus", "boot="+itoa(p.VCPUs), "--serial", "tty", "--console", "off", "--extra")
		if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: arguments\n%q\nwant\n%q", p.Name, got, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestVMRejects(t *testing.T) {
	f, _ := FormatNamed("libvirt")
	for _, p := range []VMParams{
		{Name: "", Kernel: "/k", MemoryMiB: 1, VCPUs: 1},
		{Name: "a", Kernel: "", MemoryMiB: 1, VCPUs: 1},
		{Name: "a", Kernel: "/k", MemoryMiB: 0, VCPUs: 1},
		{Name: "a", Kernel: "/k", MemoryMiB: 1, VCPUs: 0},
		{Name: "a", Kernel: "/k\n", MemoryMiB: 1, VCPUs: 1},
		{Name: "a", Kernel: "/k", MemoryMiB: 1, VCPUs: 1, Disks: []Disk{{Target: ""}}},
		{Name: "a", Kernel: "/k", MemoryMiB: 1, VCPUs: 1, Disks: []Disk{{Target: "/d\n"}}},
	} {
		var b bytes.Buffer
		if err := f.Render(&b, p); err == nil || b.Len() != 0 {
			t.Errorf("%+v: err %v, %d bytes written; want an error and nothing", p, err, b.Len())
		}
	}
}

// TestCloudHypervisorDiskPath checks that a disk path --disk cannot carry is refused.
func TestCloudHypervisorDiskPath(t *testing.T) {
	f, _ := FormatNamed("cloud-hypervisor")
	var b bytes.Buffer
	err := f.Render(&b, VMParams{Name: "a", Kernel: "/k", MemoryMiB: 1, VCPUs: 1, Disks: []Disk{{Target: "/d/a,b.img"}}})
	if err == nil || !strings.Contains(err.Error(), `disk 0: path "/d/a,b.img" has a comma`) || b.Len() != 0 {
		t.Errorf("err %v, %d bytes written; want the comma named and nothing written", err, b.Len())
	}
}
