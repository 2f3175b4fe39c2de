package ring

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

func page(t *testing.T) ([]byte, uintptr) {
	b := make([]byte, 2*PageSize)
	off := (PageSize - int(uintptr(unsafe.Pointer(&b[0]))%PageSize)) % PageSize
	p := b[off : off+PageSize]
	return p, uintptr(unsafe.Pointer(&p[0]))
}

var le = binary.LittleEndian

// The entry counts of the rings unikgen uses (io/netif.h, io/blkif.h: 256 and 32).
func TestEntries(t *testing.T) {
	for _, c := range []struct{ size, want int }{
		{12, 256}, // netif_tx: union of the 12-byte request and the 4-byte response
		{8, 256},  // netif_rx: 8-byte request and response
		{112, 32}, // blkif: 112-byte request, 16-byte response
		{4032, 1}, {4033, 0}, {0, 0}, {64, 32}, {63, 64},
	} {
		if got := Entries(c.size); got != c.want {
			t.Errorf("Entries(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}

func TestInitAndSlots(t *testing.T) {
	p, a := page(t)
	for i := range p {
		p[i] = 0xaa
	}
	f := Init(a, 112)
	if le.Uint32(p[OffReqEvent:]) != 1 || le.Uint32(p[OffRspEvent:]) != 1 || le.Uint32(p[OffReqProd:]) != 0 || p[100] != 0 {
		t.Fatalf("Init did not zero the page and set the events to 1")
	}
	if f.Size() != 32 || f.Slot(0) != a+64 || f.Slot(1) != a+64+112 || f.Slot(32) != a+64 || f.Slot(33) != a+64+112 {
		t.Errorf("slots: size %d, %#x %#x %#x", f.Size(), f.Slot(0)-a, f.Slot(1)-a, f.Slot(32)-a)
	}
	if f.Free() != 32 {
		t.Errorf("Free = %d", f.Free())
	}
}

// TestPushNotify follows ring.h: the backend wants a notification when req_prod passes
// req_event, which it sets to its consumer index + 1 before sleeping.
func TestPushNotify(t *testing.T) {
	p, a := page(t)
	f := Init(a, 8)
	f.ReqProdPvt = 3
	if !f.Push() { // req_event 1 is within (0, 3]
		t.Error("first push: no notification")
	}
	if le.Uint32(p[OffReqProd:]) != 3 {
		t.Errorf("req_prod = %d", le.Uint32(p[OffReqProd:]))
	}
	// The backend consumed 3 and sleeps: req_event = 4.
	le.PutUint32(p[OffReqEvent:], 4)
	f.ReqProdPvt = 5
	if !f.Push() {
		t.Error("push past req_event: no notification")
	}
	// The backend is busy (req_event still 4): no notification for more requests.
	f.ReqProdPvt = 7
	if f.Push() {
		t.Error("push while the backend works: notification")
	}
	// Wrap-around of the free-running indices.
	f = Init(a, 8)
	le.PutUint32(p[OffReqProd:], 0xfffffffe)
	le.PutUint32(p[OffReqEvent:], 0xffffffff)
	f.ReqProdPvt = 1
	if !f.Push() {
		t.Error("push across 2^32: no notification")
	}
}

func TestResponses(t *testing.T) {
	p, a := page(t)
	f := Init(a, 8)
	f.ReqProdPvt = 10
	f.Push()
	if n, err := f.Pending(); n != 0 || err != nil {
		t.Fatalf("Pending = %d, %v", n, err)
	}
	le.PutUint32(p[OffRspProd:], 4)
	if n, err := f.Pending(); n != 4 || err != nil {
		t.Fatalf("Pending = %d, %v", n, err)
	}
	if f.Response() != a+64 {
		t.Error("first response slot")
	}
	f.RspCons = 4
	if f.FinalCheck() {
		t.Error("FinalCheck with nothing new reported responses")
	}
	if le.Uint32(p[OffRspEvent:]) != 5 {
		t.Errorf("rsp_event = %d, want 5", le.Uint32(p[OffRspEvent:]))
	}
	le.PutUint32(p[OffRspProd:], 6)
	if !f.FinalCheck() {
		t.Error("FinalCheck missed new responses")
	}
	// More responses than requests, or than the ring holds: a broken backend.
	le.PutUint32(p[OffRspProd:], 11)
	if _, err := f.Pending(); !errors.Is(err, ErrOverflow) {
		t.Errorf("11 responses to 10 requests: %v", err)
	}
	f.ReqProdPvt = 1000
	le.PutUint32(p[OffRspProd:], 4+257)
	if _, err := f.Pending(); !errors.Is(err, ErrOverflow) {
		t.Errorf("257 responses in a ring of 256: %v", err)
	}
	le.PutUint32(p[OffRspProd:], 3) // behind the consumer: as many as 2^32-1 "new" ones
	if _, err := f.Pending(); !errors.Is(err, ErrOverflow) {
		t.Errorf("rsp_prod behind rsp_cons: %v", err)
	}
	f.Quiet()
	if got := le.Uint32(p[OffRspEvent:]); got != 4+1<<31 {
		t.Errorf("Quiet: rsp_event = %#x", got)
	}
}
