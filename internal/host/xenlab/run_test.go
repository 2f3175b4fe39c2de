package xenlab

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/deploy"

	"github.com/unikgen/unikgen/internal/cpio"
	"github.com/unikgen/unikgen/internal/testenv"
)

func TestHarnessConfig(t *testing.T) {
	var b bytes.Buffer
	if err := deploy.XLConfig(&b, deploy.XLParams{Name: "hello", Kernel: "hello.xen", MemoryMiB: 32, VCPUs: 1, Cmdline: "A=1 -- x"}); err != nil {
		t.Fatal(err)
	}
	user := b.String() + "vif = [ 'bridge=br9' ]\n" + "disk = [ 'target=/x.img' ]\n" + "tsc_mode = \"default\"\n"
	cfg, name, err := harnessConfig(user, "", "/kernel.elf")
	if err != nil {
		t.Fatal(err)
	}
	if name != "hello" {
		t.Errorf("name %q", name)
	}
	want := []string{`name = "hello"`, "memory = 32", `cmdline = "A=1 -- x"`, VifLine, DiskLine, `kernel = "/kernel.elf"`,
		`on_poweroff = "preserve"`, `on_reboot = "preserve"`, `on_crash = "preserve"`, `tsc_mode = "native"`}
	for _, w := range want {
		if strings.Count(cfg, w+"\n") != 1 {
			t.Errorf("config has %q %d times, want once:\n%s", w, strings.Count(cfg, w+"\n"), cfg)
		}
	}
	for _, bad := range []string{"hello.xen", `"destroy"`, "br9", "/x.img", `tsc_mode = "default"`} {
		if strings.Contains(cfg, bad) {
			t.Errorf("config still has %q:\n%s", bad, cfg)
		}
	}
	// Cmdline replaces the config's, escaped for xl.
	cfg, _, err = harnessConfig(user, `B=2 -- "a b" c\d`, "/kernel1.elf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg, `cmdline = "B=2 -- \"a b\" c\\d"`+"\n") || strings.Contains(cfg, "A=1") || !strings.Contains(cfg, `kernel = "/kernel1.elf"`) {
		t.Errorf("cmdline not replaced:\n%s", cfg)
	}
	// Default config.
	cfg, name, err = harnessConfig("", "", "/kernel.elf")
	if err != nil || name != "unikgen" || !strings.Contains(cfg, "memory = 64\n") || strings.Contains(cfg, "vif") {
		t.Errorf("default config: %v %q\n%s", err, name, cfg)
	}
	// Errors.
	for _, c := range []struct{ cfg, cmdline string }{
		{"memory = 64\n", ""},
		{"name = 'single'\n", ""},
		{"name = \"a b\"\n", ""},
		{"name = \"x\"\n", "a\nb"},
	} {
		if _, _, err := harnessConfig(c.cfg, c.cmdline, "/kernel.elf"); err == nil {
			t.Errorf("harnessConfig(%q, %q): no error", c.cfg, c.cmdline)
		}
	}
}

// readCpio parses a newc archive (the format the Linux initramfs unpacker reads).
func readCpio(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	hex := func(f string) int {
		n, err := strconv.ParseUint(f, 16, 32)
		if err != nil {
			t.Fatalf("bad header field %q", f)
		}
		return int(n)
	}
	for off := 0; ; {
		if off%4 != 0 || len(b) < off+110 || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad header at %d", off)
		}
		h := string(b[off : off+110])
		mode, size, nsize := hex(h[14:22]), hex(h[54:62]), hex(h[94:102])
		name := string(b[off+110 : off+110+nsize-1])
		if b[off+110+nsize-1] != 0 {
			t.Fatalf("name of %q not NUL-terminated", name)
		}
		data := off + 110 + nsize
		data += cpio.Pad4(data)
		if name == "TRAILER!!!" {
			if end := data + size; len(b) != end+cpio.Pad4(end) {
				t.Fatalf("archive is %d bytes, trailer ends at %d", len(b), end)
			}
			return files
		}
		switch {
		case mode&0o170000 == 0o040000:
			files[name+"/"] = nil
		case mode == 0o100644:
			files[name] = b[data : data+size]
		case mode == 0o100755:
			files[name+"*"] = b[data : data+size]
		default:
			t.Errorf("%s: mode %o", name, mode)
		}
		off = data + size
		off += cpio.Pad4(off)
	}
}

func TestOverlay(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.gz")
	os.WriteFile(base, []byte("BASE"), 0o644)
	k1, k2 := filepath.Join(dir, "a.xen"), filepath.Join(dir, "b.xen")
	os.WriteFile(k1, []byte("kernel!"), 0o644)
	os.WriteFile(k2, []byte("other"), 0o644)
	o := overlay{files: map[string][]byte{}, kernels: map[string]string{}}
	for _, c := range []struct{ img, want string }{{k1, "/kernel.elf"}, {k2, "/kernel1.elf"}, {k1, "/kernel.elf"}} {
		if p, err := o.kernel(c.img); err != nil || p != c.want {
			t.Errorf("kernel(%s) = %q, %v; want %q", c.img, p, err, c.want)
		}
	}
	if _, err := o.kernel(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing image was accepted")
	}
	o.files["step0/pvh.cfg"] = []byte("cfg")
	o.files["bin/client"] = []byte("ELF")
	o.exec = append(o.exec, "bin/client")
	out := filepath.Join(dir, "initrd.gz")
	if err := o.write(out, base); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !bytes.HasPrefix(b, []byte("BASE")) {
		t.Fatal("base archive not first")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b[4:]))
	if err != nil {
		t.Fatal(err)
	}
	var arc bytes.Buffer
	if _, err := arc.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	files := readCpio(t, arc.Bytes())
	want := map[string]string{"kernel.elf": "kernel!", "kernel1.elf": "other", "step0/": "", "step0/pvh.cfg": "cfg",
		"bin/": "", "bin/client*": "ELF"}
	if len(files) != len(want) {
		t.Errorf("archive holds %q, want %q", files, want)
	}
	for k, v := range want {
		if got, ok := files[k]; !ok || string(got) != v {
			t.Errorf("%s: %q (present %v), want %q", k, got, ok, v)
		}
	}
}

func TestConsoleStream(t *testing.T) {
	var out bytes.Buffer
	c := &consoleStream{prefix: "@@xenlab tok/", out: &out}
	for _, chunk := range []string{"(XEN) x\r\r\n@@xenlab tok/0@@ hel", "lo\r\r\n@@xenlab other/0@@ no\r\r\n",
		"@@xenlab tok/1@@ second domain\r\r\nplain line\n@@xenlab tok/1@@ \r\r\n"} {
		c.Write([]byte(chunk))
	}
	if got, want := out.String(), "hello\nsecond domain\n\n"; got != want {
		t.Errorf("streamed %q, want %q", got, want)
	}
}

func TestPVHKernelImage(t *testing.T) {
	img := pvhKernel("hi\n", shutdownPoweroff, true)
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Entry != pvhEntry || len(f.Progs) != 2 {
		t.Fatalf("class %v machine %v entry %#x progs %d", f.Class, f.Machine, f.Entry, len(f.Progs))
	}
	load, note := f.Progs[0], f.Progs[1]
	if load.Type != elf.PT_LOAD || load.Paddr != pvhBase || load.Filesz != uint64(len(img)) || load.Memsz != pvhMemsz {
		t.Errorf("PT_LOAD %+v", load.ProgHeader)
	}
	if note.Type != elf.PT_NOTE || note.Align != 4 || note.Filesz != 20 {
		t.Errorf("PT_NOTE %+v", note.ProgHeader)
	}
	n := make([]byte, note.Filesz)
	note.ReadAt(n, 0)
	le := binary.LittleEndian
	if le.Uint32(n) != 4 || le.Uint32(n[4:]) != 4 || le.Uint32(n[8:]) != 18 || string(n[12:16]) != "Xen\x00" || le.Uint32(n[16:]) != pvhEntry {
		t.Errorf("note % x", n)
	}
	code := pvhCode(3, shutdownPoweroff)
	if !bytes.Equal(img[pvhEntry-pvhBase:][:len(code)], code) || string(img[pvhMsg-pvhBase:]) != "hi\n" {
		t.Error("code or message misplaced")
	}
	// Spot checks of the encoding: the first instructions and the final shutdown call + ud2.
	if !bytes.HasPrefix(code, []byte{0xbc, 0x00, 0x20, 0x10, 0x00, 0xbe, 0x00, 0x00, 0x00, 0x40, 0x89, 0xf0, 0x0f, 0xa2}) {
		t.Errorf("code starts % x", code[:14])
	}
	tail := code[len(code)-7:]
	if tail[0] != 0xe8 || int64(int32(le.Uint32(tail[1:])))+int64(pvhEntry+len(code)-2) != pvhHypercal+29*32 || tail[5] != 0x0f || tail[6] != 0x0b {
		t.Errorf("code ends % x, want call sched_op; ud2", tail)
	}
	crash := pvhCode(3, shutdownCrash)
	if bytes.Equal(crash, code) || len(crash) != len(code) {
		t.Error("reason not encoded")
	}
	if f, _ := elf.NewFile(bytes.NewReader(pvhKernel("x", 0, false))); f == nil || f.Progs[1].Type == elf.PT_NOTE {
		t.Error("kernel without note still has PT_NOTE")
	}
}

func TestConsoleStatusPrefixMatchesShutdown(t *testing.T) {
	// drivers/xen/shutdown.StatusPrefix; not imported to keep this package free of kernel code.
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "drivers", "xen", "shutdown", "shutdown.go"))
	if err != nil {
		t.Fatal(err) // part of this repository
	}
	if !strings.Contains(string(b), `StatusPrefix = "`+ConsoleStatusPrefix+`"`) {
		t.Errorf("drivers/xen/shutdown.StatusPrefix differs from %q", ConsoleStatusPrefix)
	}
}
