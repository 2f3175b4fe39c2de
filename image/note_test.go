package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// prog is one program header of a synthetic ELF.
type prog struct {
	typ         elf.ProgType
	off, filesz uint64
	addr, memsz uint64
	align       uint64
}

// synth is a synthetic ELF in the shape the Go linker writes: header, program headers, a
// .note.go.buildid-like note segment, code.
type synth struct {
	class   elf.Class
	machine elf.Machine
	typ     elf.Type
	entry   uint64
	progs   []prog
	size    int
}

// goLike returns the synthetic image used by most tests: a 100-byte PT_NOTE with p_align 4
// holding a Go build ID note, as cmd/link emits it, and two PT_LOADs.
func goLike() synth {
	return synth{
		class: elf.ELFCLASS64, machine: elf.EM_X86_64, typ: elf.ET_EXEC, entry: 0x201140,
		progs: []prog{
			{typ: elf.PT_PHDR, off: 64, filesz: 4 * 56, addr: 0x200040, memsz: 4 * 56, align: 0x1000},
			{typ: elf.PT_NOTE, off: 0xf9c, filesz: 100, addr: 0x200f9c, memsz: 100, align: 4},
			{typ: elf.PT_LOAD, off: 0, filesz: 0x2000, addr: 0x200000, memsz: 0x2000, align: 0x1000},
			{typ: elf.PT_LOAD, off: 0x2000, filesz: 0x1000, addr: 0x202000, memsz: 0x8000, align: 0x1000},
		},
		size: 0x3000,
	}
}

func (s synth) bytes() []byte {
	b := make([]byte, s.size)
	le := binary.LittleEndian
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = byte(s.class), 1, 1
	le.PutUint16(b[16:], uint16(s.typ))
	le.PutUint16(b[18:], uint16(s.machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], s.entry)
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], uint16(len(s.progs)))
	le.PutUint16(b[58:], 64)
	for i, p := range s.progs {
		h := b[64+56*i:]
		le.PutUint32(h[0:], uint32(p.typ))
		le.PutUint32(h[4:], 4)
		le.PutUint64(h[8:], p.off)
		le.PutUint64(h[16:], p.addr)
		le.PutUint64(h[24:], p.addr)
		le.PutUint64(h[32:], p.filesz)
		le.PutUint64(h[40:], p.memsz)
		le.PutUint64(h[48:], p.align)
		if p.typ == elf.PT_NOTE && p.filesz >= 16 {
			// A Go build ID note: name "Go\0\0", type 4, desc = the rest.
			n := b[p.off:]
			le.PutUint32(n[0:], 4)
			le.PutUint32(n[4:], uint32(p.filesz-16))
			le.PutUint32(n[8:], 4)
			copy(n[12:], "Go\x00\x00")
			copy(n[16:p.filesz], strings.Repeat("buildid/", 20))
		}
	}
	return b
}

func TestPatchSynthetic(t *testing.T) {
	for _, align := range []uint64{4, 8} {
		s := goLike()
		s.progs[1].align = align
		b := s.bytes()
		orig := bytes.Clone(b)
		if err := Patch(b); err != nil {
			t.Fatalf("align %d: Patch: %v", align, err)
		}
		got, err := Entry(b)
		if err != nil {
			t.Fatalf("align %d: Entry after Patch: %v", align, err)
		}
		if got != s.entry {
			t.Errorf("align %d: Entry = %#x, want %#x", align, got, s.entry)
		}

		// The note segment, byte for byte.
		want := make([]byte, 100)
		le := binary.LittleEndian
		le.PutUint32(want[0:], 4)
		le.PutUint32(want[4:], 4)
		le.PutUint32(want[8:], 18)
		copy(want[12:], "Xen\x00")
		le.PutUint32(want[16:], uint32(s.entry))
		le.PutUint32(want[20:], 3)
		le.PutUint32(want[24:], 100-20-16)
		le.PutUint32(want[28:], padType)
		copy(want[32:], "Go\x00")
		if seg := b[0xf9c : 0xf9c+100]; !bytes.Equal(seg, want) {
			t.Errorf("align %d: note segment\n got % x\nwant % x", align, seg, want)
		}
		// Only the note segment and the p_align field changed.
		alignOff := 64 + 56*1 + 48
		if a := le.Uint64(b[alignOff:]); a != 4 {
			t.Errorf("align %d: p_align after Patch = %d, want 4", align, a)
		}
		copy(b[0xf9c:], orig[0xf9c:0xf9c+100])
		copy(b[alignOff:alignOff+8], orig[alignOff:])
		if !bytes.Equal(b, orig) {
			t.Errorf("align %d: Patch changed bytes outside the note segment and p_align", align)
		}
	}
}

func TestPatchIdempotent(t *testing.T) {
	b := goLike().bytes()
	if err := Patch(b); err != nil {
		t.Fatal(err)
	}
	once := bytes.Clone(b)
	if err := Patch(b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, once) {
		t.Error("patching a patched image changed it")
	}
}

func TestPatchExactSize(t *testing.T) {
	s := goLike()
	s.progs[1].filesz = 20
	b := s.bytes()
	if err := Patch(b); err != nil {
		t.Fatal(err)
	}
	if got, err := Entry(b); err != nil || got != s.entry {
		t.Errorf("Entry = %#x, %v; want %#x", got, err, s.entry)
	}
}

func TestPatchErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*synth)
		raw    func([]byte)
		substr string
	}{
		{"not ELF", nil, func(b []byte) { copy(b, "MZ\x90\x00") }, "bad magic"},
		{"ELF32", func(s *synth) { s.class = elf.ELFCLASS32 }, nil, ""},
		{"i386", func(s *synth) { s.machine = elf.EM_386 }, nil, "want EM_X86_64"},
		{"PIE", func(s *synth) { s.typ = elf.ET_DYN }, nil, "want ET_EXEC"},
		{"entry above 4G", func(s *synth) { s.entry = 0x1_0000_1000 }, nil, "entry address 0x100001000"},
		{"load above 4G", func(s *synth) { s.progs[3].addr = 0xffff_f000 }, nil, "PT_LOAD segment 3 (paddr 0xfffff000, vaddr 0xfffff000, memsz 0x8000) ends above 4 GiB"},
		{"no note", func(s *synth) { s.progs[1].typ = elf.PT_NULL }, nil, "no PT_NOTE segment to hold"},
		{"small note", func(s *synth) { s.progs[1].filesz = 16 }, nil, "need 20 bytes, or 36 or more in steps of 4, at a 4-byte aligned offset past the ELF and program headers; have [16 bytes at 0xf9c]"},
		// A note segment over the headers: writing it would corrupt the ELF (found by FuzzNote).
		{"note over the ELF header", nil, func(b []byte) { binary.LittleEndian.PutUint64(b[64+56+8:], 0) }, "have [100 bytes at 0x0]"},
		{"note over the program headers", nil, func(b []byte) { binary.LittleEndian.PutUint64(b[64+56+8:], 64+56) }, "have [100 bytes at 0x78]"},
		{"awkward note", func(s *synth) { s.progs[1].filesz = 28 }, nil, "have [28 bytes at 0xf9c]"},
		{"no load", func(s *synth) { s.progs[2].typ, s.progs[3].typ = elf.PT_NULL, elf.PT_NULL }, nil, "no PT_LOAD"},
		{"multiboot", nil, func(b []byte) {
			le := binary.LittleEndian
			le.PutUint32(b[0x1000:], 0x1BADB002)
			le.PutUint32(b[0x1004:], 0x00010003)
			le.PutUint32(b[0x1008:], ^uint32(0x1BADB002+0x00010003)+1)
		}, "multiboot header at file offset 0x1000"},
		{"multiboot2", nil, func(b []byte) {
			le := binary.LittleEndian
			le.PutUint32(b[0x1008:], 0xE85250D6)
			le.PutUint32(b[0x100c:], 0)
			le.PutUint32(b[0x1010:], 24)
			le.PutUint32(b[0x1014:], ^uint32(0xE85250D6+24)+1)
		}, "multiboot header at file offset 0x1008"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goLike()
			if tt.edit != nil {
				tt.edit(&s)
			}
			b := s.bytes()
			if tt.raw != nil {
				tt.raw(b)
			}
			orig := bytes.Clone(b)
			err := Patch(b)
			if err == nil {
				t.Fatal("Patch succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("Patch error = %q, want it to contain %q", err, tt.substr)
			}
			if !bytes.Equal(b, orig) {
				t.Error("a failed Patch changed the image")
			}
		})
	}
}

func TestEntryUnpatched(t *testing.T) {
	_, err := Entry(goLike().bytes())
	if err == nil || err.Error() != "no Xen PHYS32_ENTRY note" {
		t.Errorf("Entry of an unpatched image: err = %v, want %q", err, "no Xen PHYS32_ENTRY note")
	}
	s := goLike()
	s.progs[1].align = 8
	b := s.bytes()
	if err := Patch(b); err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint64(b[64+56+48:], 8)
	if _, err := Entry(b); err == nil || !strings.Contains(err.Error(), "has p_align 8, want 4") {
		t.Errorf("Entry with p_align 8: err = %v", err)
	}
}

// TestPatchGoBuild patches what the real linker writes with the flags unikgen uses.
func TestPatchGoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	goTool := testenv.NeedGo(t)
	dir := t.TempDir()
	src := "package main\n\nfunc pvhEntry()\n\nfunc main() { println(\"hi\"); pvhEntry() }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	asm := "#include \"textflag.h\"\n\nTEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0\n\tHLT\n\tRET\n"
	if err := os.WriteFile(filepath.Join(dir, "entry_amd64.s"), []byte(asm), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hi\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hi.elf")
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-E=main.pvhEntry -T=0x201000", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	if err := PatchFile(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Entry(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != f.Entry {
		t.Errorf("note entry %#x, ELF entry %#x", got, f.Entry)
	}
	if first := f.Progs[0]; first.Type == elf.PT_PHDR && first.Vaddr != 0x200040 {
		t.Errorf("PT_PHDR at %#x, want 0x200040 (-T=0x201000)", first.Vaddr)
	}
	notes := 0
	for _, p := range f.Progs {
		if p.Type == elf.PT_NOTE {
			notes++
			if p.Align != 4 {
				t.Errorf("PT_NOTE p_align = %d, want 4", p.Align)
			}
		}
	}
	if notes != 1 {
		t.Errorf("%d PT_NOTE segments, want 1 (what cmd/link emits)", notes)
	}
}

func TestFloor(t *testing.T) {
	b := Floor()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Entry(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != f.Entry || got != FloorBase+208 {
		t.Errorf("floor: note entry %#x, ELF entry %#x, want %#x", got, f.Entry, FloorBase+208)
	}
	if code := b[f.Entry-FloorBase:]; !bytes.Equal(code, floorCode) {
		t.Errorf("floor: code at entry % x, want % x", code, floorCode)
	}
	if err := Patch(bytes.Clone(b)); err != nil {
		t.Errorf("floor image fails the checks: %v", err)
	}
}
