package signal

import (
	"github.com/unikgen/unikgen/runtime/errno"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sched/schedtest"
)

// TestDeliverAndReturn builds a frame for SIGSEGV on an alternate stack in host memory, checks
// what a Linux handler would see, and restores the registers with rt_sigreturn.
func TestDeliverAndReturn(t *testing.T) {
	sched.UseFrames(schedtest.Frames(16))
	alt := make([]byte, 64<<10)
	userStack := make([]byte, 4096)
	var regs sched.Regs
	regs.RIP = 0x401000
	regs.RSP = uint64(arch.Addr(userStack)) + 2048
	regs.RAX, regs.RBX, regs.R15 = 1, 2, 15
	regs.RFLAGS = 0x246
	i := sched.New(&regs, 0x5000, -1)
	sched.Start(i)
	th := sched.T(i)
	fx := arch.Bytes(sched.FXArea(i), 512)
	for k := range fx {
		fx[k] = byte(k)
	}

	act := action{handler: 0x402000, flags: saSiginfo | saOnstack | saRestorer, restorer: 0x403000, mask: 1 << 5}
	if r := Sigaction(SIGSEGV, uintptr(unsafe.Pointer(&act)), 0, 8); r != 0 {
		t.Fatal("sigaction:", r)
	}
	ss := stackT{sp: uint64(arch.Addr(alt)), size: uint64(len(alt))}
	if r := Sigaltstack(uintptr(unsafe.Pointer(&ss)), 0); r != 0 {
		t.Fatal("sigaltstack:", r)
	}
	if !Fault(SIGSEGV, SEGV_MAPERR, 0x8, 14) {
		t.Fatal("fault not deliverable")
	}
	if s := Deliverable(i); s != SIGSEGV {
		t.Fatalf("deliverable = %d", s)
	}
	Deliver(i, SIGSEGV)

	r := &th.Regs
	top := uint64(arch.Addr(alt)) + uint64(len(alt))
	if r.RSP <= uint64(arch.Addr(alt)) || r.RSP >= top || (r.RSP+8)%16 != 0 {
		t.Fatalf("frame at %#x, not on the alternate stack [%#x, %#x) with (sp+8)%%16 == 0", r.RSP, arch.Addr(alt), top)
	}
	if r.RIP != 0x402000 || r.RDI != SIGSEGV || r.RSI != r.RSP+frameInfo || r.RDX != r.RSP+frameUC {
		t.Fatalf("handler registers: rip %#x rdi %d rsi %#x rdx %#x", r.RIP, r.RDI, r.RSI, r.RDX)
	}
	frame := uintptr(r.RSP)
	if got := get64(frame); got != 0x403000 {
		t.Fatalf("return address %#x, want the restorer", got)
	}
	info := frame + frameInfo
	if *arch.U32(info) != SIGSEGV || *(*int32)(arch.Ptr(info + 8)) != SEGV_MAPERR || get64(info+16) != 0x8 {
		t.Fatalf("siginfo: signo %d code %d addr %#x", *arch.U32(info), *(*int32)(arch.Ptr(info + 8)), get64(info+16))
	}
	mc := frame + frameUC + ucMcontext
	if get64(mc+scRIP) != 0x401000 || get64(mc+scRAX) != 1 || get64(mc+scRBX) != 2 || get64(mc+scR15) != 15 || get64(mc+scCR2) != 8 {
		t.Fatalf("mcontext does not hold the interrupted registers")
	}
	fp := uintptr(get64(mc + scFpstate))
	if fp%64 != 0 || arch.Bytes(fp, 512)[100] != 100 {
		t.Fatalf("fpstate at %#x not aligned or not copied", fp)
	}
	if th.SigMask&(bit(SIGSEGV)|1<<5) != bit(SIGSEGV)|1<<5 {
		t.Fatalf("handler mask %#x lacks the signal and sa_mask", th.SigMask)
	}

	// The handler (Go's sigpanic injection) edits the context, then returns through the restorer.
	put64(mc+scRIP, 0x404000)
	fx[100] = 0
	r.RSP += 8 // the handler's RET popped pretcode
	r.RAX = 15
	Sigreturn()
	if r.RIP != 0x404000 || r.RSP != uint64(arch.Addr(userStack))+2048 || r.RAX != 1 || r.RBX != 2 || r.R15 != 15 {
		t.Fatalf("after sigreturn: rip %#x rsp %#x rax %d", r.RIP, r.RSP, r.RAX)
	}
	if fx[100] != 100 {
		t.Fatalf("FX state not restored")
	}
	if th.SigMask != 0 {
		t.Fatalf("mask not restored: %#x", th.SigMask)
	}
}

func TestDefaultActions(t *testing.T) {
	if !Fatal(SIGABRT) || Fatal(23) {
		t.Fatal("SIGABRT must terminate, SIGURG must be ignored by default")
	}
	if r := Sigaction(SIGKILL, 1, 0, 8); r != -errno.EINVAL {
		t.Fatal("SIGKILL must not be catchable")
	}
	if r := Sigaction(SIGSEGV, 0, 0, 4); r != -errno.EINVAL {
		t.Fatal("bad sigsetsize accepted")
	}
}
