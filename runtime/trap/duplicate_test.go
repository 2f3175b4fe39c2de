package trap

import (
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/sched"
)

// TestReraisedGatesHaveNoIST: the gate of an external interrupt whose source raises it again
// (Xen's upcall) must not use an IST stack, or a second delivery at the first instruction of its
// stub (seen under Xen nested in QEMU TCG, issue 10) writes its frame over the first one's; the
// others keep theirs; and the external interrupts' stubs must push nothing and change no
// register before extEntry, so that the second frame's RSP is the first frame.
func TestReraisedGatesHaveNoIST(t *testing.T) {
	saved := reraised
	defer func() { reraised = saved }()
	SetReraisedHandler(243, func() {})
	defer func() { irqHandlers[243] = nil }()
	for v := 0; v < 256; v++ {
		lo, _ := gate(0x123456789a, vectorIST(v))
		ist := lo >> 32 & 7
		if v == 243 && ist != 0 {
			t.Errorf("vector %d's gate has IST %d, want none", v, ist)
		}
		if v != 243 && ist == 0 {
			t.Errorf("vector %d's gate has no IST stack", v)
		}
	}
	src, err := os.ReadFile("vectors_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	stubs := strings.Split(string(src), "TEXT ·vec")
	for _, stub := range stubs[1+firstExternal:] {
		body := strings.SplitN(stub, "\n", 2)[1]
		body = strings.SplitN(body, "\n\n", 2)[0]
		for _, line := range strings.Split(body, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] == "JMP" || f[0] == "MOVQ" && (strings.HasPrefix(f[1], "SP,") || strings.HasPrefix(f[1], "$")) && strings.Contains(line, "(SB)") {
				continue
			}
			t.Errorf("external interrupt stub vec%s: %q touches the stack or a register", strings.SplitN(stub, "(", 2)[0], line)
		}
	}
}

// frameAt returns the address of a 5-word interrupt frame (RIP, CS, RFLAGS, RSP, SS).
func frameAt(f *[5]uint64) uint64 { return uint64(uintptr(unsafe.Pointer(f))) }

func stubOf(v int) uint64 { return *arch.U64(vectorTable() + uintptr(v)*8) }

// TestRecoverDuplicate: the kernel's view of an event delivered again at its stub (the frame
// says: interrupted at the stub, interrupts off, RSP at the first delivery's frame) becomes the
// interrupted program's context, and the first delivery's vector is reported.
func TestRecoverDuplicate(t *testing.T) {
	setExtRanges()
	var mem [3][5]uint64
	accessible = func(a uintptr, write bool) bool {
		lo := uintptr(unsafe.Pointer(&mem))
		return a >= lo && a+8 <= lo+unsafe.Sizeof(mem)
	}
	defer func() { accessible = mm.Accessible }()
	user := [5]uint64{0x4a1234, 0x08, 0x246, 0x7ffff000, 0x10}

	// The upcall (243) delivered twice: the second time at the first instruction of its stub.
	mem[0] = user
	r := sched.Regs{RAX: 42, Vector: 243, RIP: stubOf(243), CS: 8, RFLAGS: 0x10093, RSP: frameAt(&mem[0]), SS: 0}
	before := Duplicates
	if first := recoverDuplicate(&r); first != 243 {
		t.Errorf("first delivery's vector = %d, want 243", first)
	}
	if got := [5]uint64{r.RIP, r.CS, r.RFLAGS, r.RSP, r.SS}; got != user || r.RAX != 42 || r.Vector != 243 {
		t.Errorf("recovered frame %#x (RAX %d, vector %d), want the program's %#x", got, r.RAX, r.Vector, user)
	}
	if Duplicates != before+1 {
		t.Errorf("Duplicates = %d, want %d", Duplicates, before+1)
	}

	// The timer (32) interrupted the program, the upcall came at its stub's second instruction,
	// and the upcall again at extEntry's first: both frames below the timer's are unwound, and
	// the timer is reported for handling besides the upcall.
	mem[0] = user
	mem[1] = [5]uint64{stubOf(32) + 7, 8, 0x10093, frameAt(&mem[0]), 0}
	r = sched.Regs{Vector: 243, RIP: uint64(extEntryPC), CS: 8, RFLAGS: 0x10093, RSP: frameAt(&mem[1])}
	if first := recoverDuplicate(&r); first != 32 {
		t.Errorf("first delivery's vector = %d, want 32", first)
	}
	if got := [5]uint64{r.RIP, r.CS, r.RFLAGS, r.RSP, r.SS}; got != user {
		t.Errorf("recovered frame %#x, want %#x", got, user)
	}

	// An ordinary interrupt is left alone.
	r = sched.Regs{Vector: 243, RIP: user[0], RSP: user[3]}
	if inExtEntry(r.RIP) {
		t.Fatalf("program address %#x taken for an entry stub", r.RIP)
	}
	for _, pc := range []uint64{stubOf(31), stubOf(243) + stubSize, uint64(extEntryPC) + 1} {
		if inExtEntry(pc) && pc != stubOf(244) {
			t.Errorf("%#x taken for a point before an external interrupt's frame left the interrupted stack", pc)
		}
	}
}

// TestFramePushFault: a write fault that the interrupted instruction does not explain, with CR2
// reading 0 (Xen nested in QEMU TCG), is put on the stack page an interrupt frame was pushed to.
// Under Xen a new thread's first instruction (after clone's SYSCALL: CMPQ AX, $0) was killed with
// SIGSEGV at address 0 before this.
func TestFramePushFault(t *testing.T) {
	const stackPage = 0x7000_0000_0000
	accessible = func(a uintptr, write bool) bool { return a >= stackPage }
	defer func() { accessible = mm.Accessible }()
	cmp := []byte{0x48, 0x83, 0xf8, 0x00, 0, 0, 0, 0} // CMPQ AX, $0: no memory operand
	r := sched.Regs{RIP: uint64(arch.Addr(cmp)), RSP: stackPage + 0x10, Err: mm.FaultWrite}
	if a := pageFaultAddress(&r, 0, 0); a != stackPage+0x10-40 {
		t.Errorf("fault address %#x, want %#x: the frame's lowest word, on the page below", a, uintptr(stackPage+0x10-40))
	}
	r.RSP = stackPage + 0x1000
	if a := pageFaultAddress(&r, 0, 0); a != 0 {
		t.Errorf("fault address %#x with the frame's page mapped, want 0 (unexplained)", a)
	}
	r.RSP, r.Err = stackPage, 0 // a read fault is not a frame push
	if a := pageFaultAddress(&r, 0, 0); a != 0 {
		t.Errorf("read fault address %#x, want 0", a)
	}
}
