package gnttab

import (
	"encoding/binary"
	"sync"
	"testing"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

func newTable(t *testing.T, frames int) []byte {
	mem := make([]byte, frames*FrameSize)
	Setup(hw.Addr(mem), frames)
	t.Cleanup(func() { Setup(0, 0) })
	return mem
}

func entry(mem []byte, ref Ref) (flags, domid uint16, frame uint32) {
	e := mem[ref*EntrySize:]
	return binary.LittleEndian.Uint16(e), binary.LittleEndian.Uint16(e[2:]), binary.LittleEndian.Uint32(e[4:])
}

func TestGrantRevoke(t *testing.T) {
	mem := newTable(t, 1)
	if Capacity() != PerFrame-NrReserved {
		t.Fatalf("Capacity = %d", Capacity())
	}
	r1, ok := Grant(0, 0x1234, false)
	if !ok || r1 != NrReserved {
		t.Fatalf("first Grant = %d, %v; want %d", r1, ok, NrReserved)
	}
	r2, ok := Grant(7, 0xfeffc, true)
	if !ok || r2 != NrReserved+1 {
		t.Fatalf("second Grant = %d, %v", r2, ok)
	}
	if f, d, fr := entry(mem, r1); f != GTF_permit_access || d != 0 || fr != 0x1234 {
		t.Errorf("entry %d = flags %#x domid %d frame %#x", r1, f, d, fr)
	}
	if f, d, fr := entry(mem, r2); f != GTF_permit_access|GTF_readonly || d != 7 || fr != 0xfeffc {
		t.Errorf("entry %d = flags %#x domid %d frame %#x", r2, f, d, fr)
	}
	for ref := Ref(0); ref < NrReserved; ref++ {
		if f, _, _ := entry(mem, ref); f != 0 {
			t.Errorf("reserved entry %d touched", ref)
		}
	}
	// The backend maps r1: Revoke must refuse, then succeed once it unmaps.
	mem[r1*EntrySize] |= GTF_reading | GTF_writing
	if !InUse(r1) || Revoke(r1) {
		t.Fatal("Revoke succeeded while the page was mapped")
	}
	if f, _, _ := entry(mem, r1); f&GTF_permit_access == 0 {
		t.Fatal("failed Revoke cleared the grant")
	}
	mem[r1*EntrySize] &^= GTF_reading | GTF_writing
	if !Revoke(r1) || InUse(r1) {
		t.Fatal("Revoke failed after unmap")
	}
	if f, _, _ := entry(mem, r1); f != 0 {
		t.Fatalf("flags after Revoke = %#x", f)
	}
	if Used() != 1 {
		t.Fatalf("Used = %d, want 1", Used())
	}
	// Freed references are reused first.
	if r, _ := Grant(0, 1, false); r != r1 {
		t.Fatalf("Grant after Revoke = %d, want reused %d", r, r1)
	}
	if Revoke(3) || Revoke(PerFrame) {
		t.Fatal("Revoke of a reserved or out-of-range reference succeeded")
	}
	if _, ok := Grant(0, 1<<32, false); ok {
		t.Fatal("Grant of a frame beyond 32 bits succeeded")
	}
}

func TestExhaustion(t *testing.T) {
	newTable(t, 1)
	seen := map[Ref]bool{}
	for i := 0; i < PerFrame-NrReserved; i++ {
		r, ok := Grant(1, uint64(i), false)
		if !ok || r < NrReserved || r >= PerFrame || seen[r] {
			t.Fatalf("Grant %d = %d, %v", i, r, ok)
		}
		seen[r] = true
	}
	if _, ok := Grant(1, 0, false); ok {
		t.Fatal("Grant succeeded on a full table")
	}
	if !Revoke(100) {
		t.Fatal("Revoke(100)")
	}
	if r, ok := Grant(1, 0, false); !ok || r != 100 {
		t.Fatalf("Grant after freeing 100 = %d, %v", r, ok)
	}
}

func TestConcurrent(t *testing.T) {
	newTable(t, 2)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []Ref
			for i := 0; i < 2000; i++ {
				if r, ok := Grant(2, uint64(i), false); ok {
					mine = append(mine, r)
				}
				if len(mine) > 50 {
					for _, r := range mine {
						if !Revoke(r) {
							t.Errorf("Revoke(%d) failed", r)
						}
					}
					mine = mine[:0]
				}
			}
			for _, r := range mine {
				Revoke(r)
			}
		}()
	}
	wg.Wait()
	if Used() != 0 {
		t.Fatalf("Used = %d after all revokes", Used())
	}
	n := 0
	for {
		if _, ok := Grant(2, 0, false); !ok {
			break
		}
		n++
	}
	if n != 2*PerFrame-NrReserved {
		t.Fatalf("free list holds %d references, want %d", n, 2*PerFrame-NrReserved)
	}
}

func TestQuerySizeLayout(t *testing.T) {
	var q querySize
	if unsafe.Sizeof(q) != 16 || unsafe.Offsetof(q.NrFrames) != 4 || unsafe.Offsetof(q.MaxNrFrames) != 8 || unsafe.Offsetof(q.Status) != 12 {
		t.Fatal("gnttab_query_size layout")
	}
	if n, rc := Init(1); n != 0 || rc >= 0 {
		t.Fatalf("Init without Xen = %d, %d", n, rc)
	}
}

func TestNoAllocations(t *testing.T) {
	newTable(t, 1)
	allocs := testing.AllocsPerRun(100, func() {
		r, _ := Grant(0, 42, true)
		Revoke(r)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
