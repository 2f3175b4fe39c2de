package trap

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/sched"
)

// TestRegsLayout pins what go_asm.h cannot say about sched.Regs: entry_amd64.s pushes the
// general-purpose registers in the order of PUSH_GPRS and pops them in the reverse order, so the
// register pushed last must be the field at offset 0, and each field must hold the register its
// name says; the vector stub and the CPU then fill Vector, Err, RIP, CS, RFLAGS, RSP and SS, the
// frame that alltraps copies and that IRETQ pops.
func TestRegsLayout(t *testing.T) {
	src, err := os.ReadFile("entry_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	push := macroRegs(t, string(src), "PUSH_GPRS", "PUSHQ")
	pop := macroRegs(t, string(src), "POP_GPRS", "POPQ")
	if want := slices.Clone(push); !slices.Equal(pop, reverse(want)) {
		t.Errorf("POP_GPRS pops %v, want the reverse of PUSH_GPRS %v", pop, push)
	}
	var r sched.Regs
	typ := reflect.TypeOf(r)
	if len(push) != 15 {
		t.Fatalf("PUSH_GPRS pushes %d registers, want the 15 general-purpose registers other than SP", len(push))
	}
	// The stack grows down: the last push is at the lowest address, offset 0 of the block.
	for i, reg := range reverse(slices.Clone(push)) {
		f := typ.Field(i)
		if f.Offset != uintptr(i)*8 || f.Type.Kind() != reflect.Uint64 || f.Name != goRegName(reg) {
			t.Errorf("sched.Regs field %d is %s (offset %d), but PUSH_GPRS saves %s at offset %d", i, f.Name, f.Offset, reg, i*8)
		}
	}
	frame := []string{"Vector", "Err", "RIP", "CS", "RFLAGS", "RSP", "SS"}
	for i, name := range frame {
		f, ok := typ.FieldByName(name)
		if want := uintptr(15+i) * 8; !ok || f.Offset != want {
			t.Errorf("sched.Regs.%s: offset %d, want %d (the trap frame follows the pushed registers)", name, f.Offset, want)
		}
	}
	if got, want := unsafe.Sizeof(r), uintptr(15+len(frame))*8; got != want {
		t.Errorf("sched.Regs is %d bytes, want %d: the saved registers and the trap frame, nothing else", got, want)
	}
	if unsafe.Sizeof(asmRegs{}) != unsafe.Sizeof(r) {
		t.Errorf("asmRegs and sched.Regs differ in size")
	}
}

// macroRegs returns the registers that the #define name in src applies op to, in order.
func macroRegs(t *testing.T, src, name, op string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^#define ` + name + ` \\\n((?:.*\\\n)*.*)\n`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("entry_amd64.s: no #define %s", name)
	}
	var regs []string
	for _, ins := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == '\\' || r == '\n' }) {
		f := strings.Fields(ins)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 || f[0] != op {
			t.Fatalf("entry_amd64.s: %s: unexpected instruction %q", name, strings.TrimSpace(ins))
		}
		regs = append(regs, f[1])
	}
	return regs
}

// goRegName maps a Go assembler register name to the field name in sched.Regs (AX is RAX, R8 is R8).
func goRegName(reg string) string {
	if len(reg) == 2 && reg[0] != 'R' {
		return "R" + reg
	}
	return reg
}

func reverse(s []string) []string { slices.Reverse(s); return s }
