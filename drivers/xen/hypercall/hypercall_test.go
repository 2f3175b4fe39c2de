package hypercall

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/internal/testenv"
)

// fakeCPUID returns a CPUID function whose hypervisor leaves are given by leaves.
func fakeCPUID(leaves map[uint32][4]uint32) func(leaf, sub uint32) (a, b, c, d uint32) {
	return func(leaf, sub uint32) (a, b, c, d uint32) {
		r := leaves[leaf]
		return r[0], r[1], r[2], r[3]
	}
}

func TestDetect(t *testing.T) {
	xen := func(leaf uint32) [4]uint32 { return [4]uint32{leaf + 5, sigEBX, sigECX, sigEDX} }
	tests := []struct {
		name   string
		leaves map[uint32][4]uint32
		want   uint32
		ok     bool
	}{
		{"none", nil, 0, false},
		{"xen at base", map[uint32][4]uint32{0x40000000: xen(0x40000000)}, 0x40000000, true},
		{"xen after viridian", map[uint32][4]uint32{
			0x40000000: {0x40000006, 0x7263694d, 0x666f736f, 0x76482074}, // "Microsoft Hv"
			0x40000100: xen(0x40000100),
		}, 0x40000100, true},
		{"xen at last leaf", map[uint32][4]uint32{0x4000ff00: xen(0x4000ff00)}, 0x4000ff00, true},
		{"too few leaves", map[uint32][4]uint32{0x40000000: {0x40000001, sigEBX, sigECX, sigEDX}}, 0, false},
		{"kvm", map[uint32][4]uint32{0x40000000: {0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d}}, 0, false},
	}
	for _, tt := range tests {
		got, ok := detect(fakeCPUID(tt.leaves))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: detect() = %#x, %v; want %#x, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLayouts(t *testing.T) {
	var ap addToPhysmap
	var hp hvmParam
	var sp schedPoll
	var fi xenFeatureInfo
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(xen_add_to_physmap)", unsafe.Sizeof(ap), 24},
		{"xen_add_to_physmap.size", unsafe.Offsetof(ap.Size), 2},
		{"xen_add_to_physmap.space", unsafe.Offsetof(ap.Space), 4},
		{"xen_add_to_physmap.idx", unsafe.Offsetof(ap.Idx), 8},
		{"xen_add_to_physmap.gpfn", unsafe.Offsetof(ap.Gpfn), 16},
		{"sizeof(xen_hvm_param)", unsafe.Sizeof(hp), 16},
		{"xen_hvm_param.index", unsafe.Offsetof(hp.Index), 4},
		{"xen_hvm_param.value", unsafe.Offsetof(hp.Value), 8},
		{"sizeof(sched_poll)", unsafe.Sizeof(sp), 24},
		{"sched_poll.nr_ports", unsafe.Offsetof(sp.NrPorts), 8},
		{"sched_poll.timeout", unsafe.Offsetof(sp.Timeout), 16},
		{"sizeof(xen_feature_info)", unsafe.Sizeof(fi), 8},
		{"sizeof(sched_shutdown)", unsafe.Sizeof(schedShutdown{}), 4},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestNotReady(t *testing.T) {
	if Ready() {
		t.Fatal("Ready before Init")
	}
	if rc := Call(XenVersion, 0, 0, 0, 0, 0); rc != -ENOSYS {
		t.Fatalf("Call before Init = %d, want -ENOSYS", rc)
	}
	if _, rc := HVMGetParam(HVM_PARAM_STORE_PFN); rc != -ENOSYS {
		t.Fatalf("HVMGetParam before Init = %d, want -ENOSYS", rc)
	}
	if addr, port, ok := RingParams(HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN); ok {
		t.Fatalf("RingParams before Init = %#x, %d, true; want false", addr, port)
	}
}

// TestCallingConvention installs a fake hypercall page of x86 stubs in executable host memory and
// checks that arguments reach RDI, RSI, RDX, R10, R8, that stub n sits at page+32*n, and that the
// typed wrappers pass their structures by pointer.
func TestCallingConvention(t *testing.T) {
	mem, err := syscall.Mmap(-1, 0, PageSize, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC,
		syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		testenv.Missing(t, "executable anonymous memory on the host (mmap PROT_EXEC): %v", err)
	}
	defer syscall.Munmap(mem)
	for i := range mem {
		mem[i] = 0xcc // int3: a wrong offset traps
	}
	stub := func(n int, code ...byte) { copy(mem[32*n:], code) }
	ret := byte(0xc3)
	stub(1, 0x48, 0x89, 0xf8, ret) // mov %rdi,%rax
	stub(2, 0x48, 0x89, 0xf0, ret) // mov %rsi,%rax
	stub(3, 0x48, 0x89, 0xd0, ret) // mov %rdx,%rax
	stub(4, 0x4c, 0x89, 0xd0, ret) // mov %r10,%rax
	stub(5, 0x4c, 0x89, 0xc0, ret) // mov %r8,%rax
	// memory_op: return arg->gpfn + cmd.
	stub(MemoryOp, 0x48, 0x8b, 0x46, 0x10, 0x48, 0x01, 0xf8, ret)
	// sched_op: return *arg->ports.
	stub(SchedOp, 0x48, 0x8b, 0x06, 0x8b, 0x00, ret)
	// hvm_op: arg->value = arg->index; return 0.
	stub(HvmOp, 0x8b, 0x46, 0x04, 0x48, 0x89, 0x46, 0x08, 0x31, 0xc0, ret)
	// grant_table_op: return count (rdx) - 1.
	stub(GrantTableOp, 0x48, 0x8d, 0x42, 0xff, ret) // lea -1(%rdx),%rax

	pageAddr = hw.Addr(mem)
	defer func() { pageAddr = 0 }()

	args := []uintptr{0x1111, 0x2222, 0x3333, 0x4444, 0x5555}
	for i := range args {
		if got := Call(uintptr(i+1), args[0], args[1], args[2], args[3], args[4]); got != int64(args[i]) {
			t.Errorf("argument %d: stub saw %#x, want %#x", i+1, got, args[i])
		}
	}
	if got := AddToPhysmap(XENMAPSPACE_grant_table, 0, 0xabc00); got != 0xabc00+XENMEM_add_to_physmap {
		t.Errorf("AddToPhysmap: stub returned %#x", got)
	}
	if got := SchedPoll(42, 0); got != 42 {
		t.Errorf("SchedPoll: stub read port %d, want 42", got)
	}
	if v, rc := HVMGetParam(HVM_PARAM_CONSOLE_PFN); rc != 0 || v != HVM_PARAM_CONSOLE_PFN {
		t.Errorf("HVMGetParam = %d, %d; want %d, 0", v, rc, HVM_PARAM_CONSOLE_PFN)
	}
	// The stub answers each parameter's index: page frame 17, event channel 18.
	if addr, port, ok := RingParams(HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN); !ok || addr != 17<<12 || port != 18 {
		t.Errorf("RingParams = %#x, %d, %v; want 0x11000, 18, true", addr, port, ok)
	}
	// A zero frame number is no ring (index 0 is HVM_PARAM_CALLBACK_IRQ: the stub answers 0).
	if _, _, ok := RingParams(HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_CONSOLE_EVTCHN); ok {
		t.Errorf("RingParams with page frame 0: ok")
	}
	var x [4]uint64
	if got := GrantTable(6, unsafe.Pointer(&x), 3); got != 2 {
		t.Errorf("GrantTable count: stub returned %d, want 2", got)
	}
}
