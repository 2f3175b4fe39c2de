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
)

func TestHarnessConfig(t *testing.T) {
	var b bytes.Buffer
	if err := deploy.XLConfig(&b, deploy.XLParams{Name: "hello", Kernel: "hello.xen", MemoryMiB: 32, VCPUs: 1, Cmdline: "A=1 -- x"}); err != nil {
		t.Fatal(err)
	}
	user := b.String() + VifLine + "\n"
	cfg, name, err := harnessConfig(user, "")
	if err != nil {
		t.Fatal(err)
	}
	if name != "hello" {
		t.Errorf("name %q", name)
	}
	want := []string{`name = "hello"`, "memory = 32", `cmdline = "A=1 -- x"`, VifLine, `kernel = "/kernel.elf"`,
		`on_poweroff = "preserve"`, `on_reboot = "preserve"`, `on_crash = "preserve"`}
	for _, w := range want {
		if strings.Count(cfg, w+"\n") != 1 {
			t.Errorf("config has %q %d times, want once:\n%s", w, strings.Count(cfg, w+"\n"), cfg)
		}
	}
	for _, bad := range []string{"hello.xen", `"destroy"`} {
		if strings.Contains(cfg, bad) {
			t.Errorf("config still has %q:\n%s", bad, cfg)
		}
	}
	// Cmdline replaces the config's, escaped for xl.
	cfg, _, err = harnessConfig(user, `B=2 -- "a b" c\d`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg, `cmdline = "B=2 -- \"a b\" c\\d"`+"\n") || strings.Contains(cfg, "A=1") {
		t.Errorf("cmdline not replaced:\n%s", cfg)
	}
	// Default config.
	cfg, name, err = harnessConfig("", "")
	if err != nil || name != "unikgen" || !strings.Contains(cfg, "memory = 64\n") {
		t.Errorf("default config: %v %q\n%s", err, name, cfg)
	}
	// Errors.
	for _, c := range []struct{ cfg, cmdline string }{
		{"memory = 64\n", ""},
		{"name = 'single'\n", ""},
		{"name = \"a b\"\n", ""},
		{"name = \"x\"\n", "a\nb"},
	} {
		if _, _, err := harnessConfig(c.cfg, c.cmdline); err == nil {
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
		if mode != 0o100644 {
			t.Errorf("%s: mode %o", name, mode)
		}
		files[name] = b[data : data+size]
		off = data + size
		off += cpio.Pad4(off)
	}
}

func TestWriteInitrd(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.gz")
	os.WriteFile(base, []byte("BASE"), 0o644)
	out := filepath.Join(dir, "initrd.gz")
	if err := writeInitrd(out, base, []byte("kernel!"), []byte("cfg"), []byte("d"), []byte("in")); err != nil {
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
	if string(files["kernel.elf"]) != "kernel!" || string(files["pvh.cfg"]) != "cfg" || string(files["disk.img"]) != "d" ||
		string(files["stdin.bin"]) != "in" || len(files) != 4 {
		t.Errorf("archive holds %q", files)
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
	b, err := os.ReadFile("../../drivers/xen/shutdown/shutdown.go")
	if err != nil {
		t.Skip("drivers/xen/shutdown not present:", err)
	}
	if !strings.Contains(string(b), `StatusPrefix = "`+ConsoleStatusPrefix+`"`) {
		t.Errorf("drivers/xen/shutdown.StatusPrefix differs from %q", ConsoleStatusPrefix)
	}
}
