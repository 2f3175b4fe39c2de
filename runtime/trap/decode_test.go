package trap

import (
	"testing"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/sched"
)

func TestFaultAddress(t *testing.T) {
	regs := sched.Regs{RAX: 0x1000, RCX: 0x2000, RSP: 0x3000, RDI: 0x4000, RSI: 0x5000, R8: 3, RBP: 0x6000}
	const fs = 0x9000
	for _, c := range []struct {
		name  string
		code  []byte
		write bool
		want  uint64
		ok    bool
	}{
		{"MOVQ AX, (CX)", []byte{0x48, 0x89, 0x01}, true, 0x2000, true},
		{"MOVQ AX, 8(SP)", []byte{0x48, 0x89, 0x44, 0x24, 0x08}, true, 0x3008, true},
		{"MOVQ FS:-8, CX", []byte{0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff}, false, fs - 8, true},
		{"PUSHQ BP", []byte{0x55}, true, 0x2ff8, true},
		{"CALL rel32", []byte{0xe8, 0, 0, 0, 0}, true, 0x2ff8, true},
		{"RET", []byte{0xc3}, false, 0x3000, true},
		{"REP STOSQ", []byte{0xf3, 0x48, 0xab}, true, 0x4000, true},
		{"REP MOVSB read", []byte{0xf3, 0xa4}, false, 0x5000, true},
		{"REP MOVSB write", []byte{0xf3, 0xa4}, true, 0x4000, true},
		{"MOVUPS X0, (DI)", []byte{0x0f, 0x11, 0x07}, true, 0x4000, true},
		{"MOVDQA X0, 16(DI)", []byte{0x66, 0x0f, 0x7f, 0x47, 0x10}, true, 0x4010, true},
		{"MOVQ (CX)(R8*8), AX", []byte{0x4a, 0x8b, 0x04, 0xc1}, false, 0x2018, true},
		{"MOVL AX, -8(R8)", []byte{0x41, 0x89, 0x40, 0xf8}, true, 0xfffffffffffffffb, true},
		{"MOVQ 0x100(BP), AX", []byte{0x48, 0x8b, 0x85, 0x00, 0x01, 0x00, 0x00}, false, 0x6100, true},
		{"LOCK XADDQ AX, (CX)", []byte{0xf0, 0x48, 0x0f, 0xc1, 0x01}, true, 0x2000, true},
		{"MOVQ AX, CX (no memory)", []byte{0x48, 0x89, 0xc1}, true, 0, false},
		{"RIP-relative", []byte{0x48, 0x8b, 0x05, 0, 0, 0, 0}, false, 0, false},
	} {
		buf := make([]byte, 32)
		copy(buf, c.code)
		r := regs
		r.RIP = uint64(arch.Addr(buf))
		got, ok := faultAddress(&r, fs, c.write)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %#x, %v; want %#x, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
