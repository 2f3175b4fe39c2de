package evtchn

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	si "github.com/unikgen/unikgen/drivers/xen/sharedinfo"
)

type page struct{ b []byte }

func newPage(t *testing.T) *page {
	p := &page{b: make([]byte, 4096)}
	si.Use(hw.Addr(p.b))
	t.Cleanup(func() {
		si.Use(0)
		fired = [len(fired)]uint64{}
		handler = nil
	})
	return p
}

func (p *page) word(off int) uint64       { return binary.LittleEndian.Uint64(p.b[off:]) }
func (p *page) setWord(off int, v uint64) { binary.LittleEndian.PutUint64(p.b[off:], v) }

// raise marks port pending the way Xen does.
func (p *page) raise(port int) {
	i := port / 64
	p.setWord(si.OffEvtchnPending+8*i, p.word(si.OffEvtchnPending+8*i)|1<<(port%64))
	p.setWord(si.VcpuPendingSel, p.word(si.VcpuPendingSel)|1<<i)
	p.b[si.VcpuUpcallPending] = 1
}

func TestHandleUpcall(t *testing.T) {
	p := newPage(t)
	var seen []uint32
	SetHandler(func(port uint32) { seen = append(seen, port) })
	for _, port := range []int{1, 2, 63, 64, 700, 4095} {
		p.raise(port)
	}
	p.setWord(si.OffEvtchnMask+8*(700/64), 1<<(700%64)) // 700 is masked
	before := Upcalls()
	HandleUpcall()
	if Upcalls() != before+1 {
		t.Error("upcall not counted")
	}
	want := []uint32{1, 2, 63, 64, 4095}
	if len(seen) != len(want) {
		t.Fatalf("handler saw %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("handler saw %v, want %v", seen, want)
		}
	}
	if p.b[si.VcpuUpcallPending] != 0 || p.word(si.VcpuPendingSel) != 0 {
		t.Error("upcall_pending or pending_sel not cleared")
	}
	for _, port := range want {
		if !Fired(port) {
			t.Errorf("port %d not recorded", port)
		}
		if p.word(si.OffEvtchnPending+8*int(port/64))&(1<<(port%64)) != 0 {
			t.Errorf("port %d still pending in shared_info", port)
		}
	}
	if Fired(700) || p.word(si.OffEvtchnPending+8*(700/64))&(1<<(700%64)) == 0 {
		t.Error("masked port 700 was consumed")
	}
	if !Consume(63) || Consume(63) || Fired(63) {
		t.Error("Consume(63) did not consume exactly once")
	}
	if Consume(3) || Consume(NumPorts) || Fired(NumPorts+5) {
		t.Error("Consume of an idle or out-of-range port succeeded")
	}
}

func TestUpcallWithoutSharedInfo(t *testing.T) {
	si.Use(0)
	HandleUpcall() // must not fault
}

func TestWait(t *testing.T) {
	p := newPage(t)
	// Recorded by an upcall.
	p.raise(5)
	HandleUpcall()
	Wait(5)
	if Fired(5) {
		t.Error("Wait did not consume the recorded event")
	}
	// Pending in shared_info, no upcall (interrupts off): Wait takes it directly.
	p.raise(9)
	Wait(9)
	if p.word(si.OffEvtchnPending)&(1<<9) != 0 {
		t.Error("Wait left port 9 pending")
	}
	// Nothing pending and no hypercalls: returns anyway.
	Wait(11)
	Mask(12)
	if p.word(si.OffEvtchnMask)&(1<<12) == 0 {
		t.Error("Mask did not set the bit")
	}
}

func TestLayouts(t *testing.T) {
	var a allocUnbound
	var b bindVirq
	if unsafe.Sizeof(a) != 8 || unsafe.Offsetof(a.RemoteDom) != 2 || unsafe.Offsetof(a.Port) != 4 {
		t.Error("evtchn_alloc_unbound layout")
	}
	if unsafe.Sizeof(b) != 12 || unsafe.Offsetof(b.Vcpu) != 4 || unsafe.Offsetof(b.Port) != 8 {
		t.Error("evtchn_bind_virq layout")
	}
	if _, rc := AllocUnbound(0); rc >= 0 {
		t.Error("AllocUnbound succeeded without Xen")
	}
}

func TestNoAllocations(t *testing.T) {
	p := newPage(t)
	allocs := testing.AllocsPerRun(100, func() {
		p.raise(17)
		HandleUpcall()
		Consume(17)
		p.raise(18)
		Wait(18)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
