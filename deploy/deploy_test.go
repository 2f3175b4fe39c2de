package deploy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestXLConfigGolden(t *testing.T) {
	cases := []struct {
		golden string
		p      XLParams
	}{
		{"xl-hello.golden", XLParams{Name: "hello", Kernel: "hello.xen", MemoryMiB: 64, VCPUs: 1}},
		{"xl-full.golden", XLParams{
			Name: "web-1.test_a", Kernel: `/srv/images/my "kernel"\x.xen`, MemoryMiB: 256, VCPUs: 2,
			Cmdline:    `GODEBUG=gctrace=1 -- -addr :8080 "hello world" 'single' back\slash`,
			OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "preserve",
		}},
		{"xl-devices.golden", XLParams{
			Name: "web", Kernel: "/srv/web.xen", MemoryMiB: 64, VCPUs: 1,
			VIFs:  []VIF{{Bridge: "xenbr0"}, {Bridge: "br-lan.2", MAC: "00:16:3E:AA:bb:01"}},
			Disks: []Disk{{Target: `/srv/disks/web, "data".img`}, {Target: "/dev/vg0/logs", ReadOnly: true}},
		}},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := XLConfig(&b, c.p); err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		path := filepath.Join("testdata", c.golden)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: rendered output differs from the golden file:\n--- got\n%s--- want\n%s", c.golden, b.Bytes(), want)
		}
	}
}

func TestXLConfigEscaping(t *testing.T) {
	var b bytes.Buffer
	err := XLConfig(&b, XLParams{Name: "x", Kernel: `a"b\c`, MemoryMiB: 8, VCPUs: 1, Cmdline: `say "hi \"there\""`})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`kernel = "a\"b\\c"` + "\n",
		`cmdline = "say \"hi \\\"there\\\"\""` + "\n",
		`on_poweroff = "destroy"` + "\n",
		`on_reboot = "destroy"` + "\n",
		`on_crash = "destroy"` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	// Dequoting as libxlu does gives back the original values.
	for _, line := range strings.Split(b.String(), "\n") {
		if k, v, ok := strings.Cut(line, " = "); ok && (k == "kernel" || k == "cmdline") {
			got := dequote(t, v)
			want := map[string]string{"kernel": `a"b\c`, "cmdline": `say "hi \"there\""`}[k]
			if got != want {
				t.Errorf("%s dequotes to %q, want %q", k, got, want)
			}
		}
	}
	b.Reset()
	if err := XLConfig(&b, XLParams{Name: "x", Kernel: "k", MemoryMiB: 8, VCPUs: 1}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "cmdline") {
		t.Errorf("empty Cmdline rendered a cmdline key:\n%s", b.String())
	}
}

// dequote mirrors xlu__cfgl_dequote (tools/libs/util/libxlu_cfg.c) for the escapes xlQuote emits.
func dequote(t *testing.T, s string) string {
	t.Helper()
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		t.Fatalf("not a quoted string: %q", s)
	}
	var out []byte
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c == '"' {
			t.Fatalf("unescaped quote inside %q", s)
		}
		if c == '\\' {
			i++
			c = s[i]
		}
		out = append(out, c)
	}
	return string(out)
}

func TestXLConfigRejects(t *testing.T) {
	ok := XLParams{Name: "ok", Kernel: "k.xen", MemoryMiB: 64, VCPUs: 1}
	bad := []struct {
		what string
		edit func(p *XLParams)
	}{
		{"name with quote", func(p *XLParams) { p.Name = `a"b` }},
		{"name with newline", func(p *XLParams) { p.Name = "a\nb" }},
		{"name with space", func(p *XLParams) { p.Name = "a b" }},
		{"empty name", func(p *XLParams) { p.Name = "" }},
		{"name too long", func(p *XLParams) { p.Name = strings.Repeat("a", 65) }},
		{"name starting with dash", func(p *XLParams) { p.Name = "-x" }},
		{"empty kernel", func(p *XLParams) { p.Kernel = "" }},
		{"kernel with newline", func(p *XLParams) { p.Kernel = "k\nmemory = 1" }},
		{"cmdline with newline", func(p *XLParams) { p.Cmdline = "a\non_crash = \"restart\"" }},
		{"cmdline with NUL", func(p *XLParams) { p.Cmdline = "a\x00" }},
		{"cmdline not UTF-8", func(p *XLParams) { p.Cmdline = "\xff" }},
		{"zero memory", func(p *XLParams) { p.MemoryMiB = 0 }},
		{"zero vcpus", func(p *XLParams) { p.VCPUs = 0 }},
		{"unknown action", func(p *XLParams) { p.OnCrash = "explode" }},
		{"action with quote", func(p *XLParams) { p.OnReboot = `destroy"` }},
		{"empty bridge", func(p *XLParams) { p.VIFs = []VIF{{}} }},
		{"bridge with comma", func(p *XLParams) { p.VIFs = []VIF{{Bridge: "br0,script=/x"}} }},
		{"bridge too long", func(p *XLParams) { p.VIFs = []VIF{{Bridge: "abcdefghijklmnop"}} }},
		{"bad MAC", func(p *XLParams) { p.VIFs = []VIF{{Bridge: "b", MAC: "00:16:3e:00:00"}} }},
		{"empty disk", func(p *XLParams) { p.Disks = []Disk{{}} }},
		{"disk with newline", func(p *XLParams) { p.Disks = []Disk{{Target: "a\nb"}} }},
		{"bad vdev", func(p *XLParams) { p.Disks = []Disk{{Target: "a", VDev: "sda"}} }},
		{"27 disks", func(p *XLParams) { p.Disks = make([]Disk, 27) }},
	}
	for _, c := range bad {
		p := ok
		c.edit(&p)
		var b bytes.Buffer
		if err := XLConfig(&b, p); err == nil {
			t.Errorf("%s: no error; rendered:\n%s", c.what, b.String())
		} else if b.Len() != 0 {
			t.Errorf("%s: error %v but %d bytes written", c.what, err, b.Len())
		}
	}
	var b bytes.Buffer
	if err := XLConfig(&b, ok); err != nil {
		t.Fatalf("valid params rejected: %v", err)
	}
}
