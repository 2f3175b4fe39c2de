package netfront

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/ring"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// fakeEvents is the event channel of the tests: port 7, notifications counted.
type fakeEvents struct{ notified atomic.Int64 }

func (e *fakeEvents) AllocUnbound(remote uint16) (uint32, error) {
	if remote != 0 {
		return 0, fmt.Errorf("alloc_unbound for domain %d, want 0", remote)
	}
	return 7, nil
}
func (e *fakeEvents) Notify(port uint32) {
	if port == 7 {
		e.notified.Add(1)
	}
}
func (e *fakeEvents) Close(uint32) {}

// grantTable sets up a grant table of 4 frames in host memory.
func grantTable(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 5*4096)
	a := (hw.Addr(b) + 4095) &^ 4095
	tbl := hw.Bytes(a, 4*4096)
	gnttab.Setup(a, 4)
	t.Cleanup(func() { gnttab.Setup(0, 0); _ = b })
	return tbl
}

type env struct {
	bus   *xentest.Bus
	be    string
	ev    *fakeEvents
	mu    sync.Mutex
	nb    *xentest.Netback
	got   [][]byte // frames delivered
	table []byte
}

func (e *env) frames() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got
}

// connected returns a device connected to a fake netback through a fake xenstore.
func connected(t *testing.T) (*Device, *env) {
	t.Helper()
	e := &env{bus: xentest.NewBus(), ev: &fakeEvents{}, table: grantTable(t)}
	xenstore.Setup(e.bus.Addr(), 1, e.bus.Notify, e.bus.Wait)
	oldPoll := xenbus.PollInterval
	xenbus.PollInterval = 2 * time.Millisecond
	t.Cleanup(func() {
		e.bus.SetStep(nil)
		xenbus.Reset()
		xenbus.PollInterval = oldPoll
		xenstore.Setup(0, 0, nil, nil)
	})
	e.be = e.bus.AddDevice("vif", "0", int(xenbus.InitWait))
	e.bus.Set("device/vif/0/mac", "00:16:3e:0a:0b:0c")
	e.bus.SetStep(func(s *xentest.Store) {
		fs, _ := s.Get("device/vif/0/state")
		bs, _ := s.Get(e.be + "/state")
		if fs != "4" || bs != "2" {
			return
		}
		var tx, rx uint32
		for key, p := range map[string]*uint32{"tx-ring-ref": &tx, "rx-ring-ref": &rx} {
			v, _ := s.Get("device/vif/0/" + key)
			fmt.Sscan(v, p)
		}
		nb, err := xentest.NewNetback(xentest.Grants{Table: e.table}, tx, rx)
		if err != nil {
			t.Errorf("netback: %v", err)
			return
		}
		e.nb = nb
		s.Set(e.be+"/state", "4")
	})
	fe, err := xenbus.Open("vif", "0")
	if err != nil {
		t.Fatal(err)
	}
	fe.Events = e.ev
	mem := &xentest.Memory{}
	t.Cleanup(mem.Free)
	d, err := New(fe, mem, func(f []byte) {
		e.mu.Lock()
		e.got = append(e.got, append([]byte(nil), f...))
		e.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if e.nb == nil {
		t.Fatal("the fake backend did not connect")
	}
	return d, e
}

func frame(n int, fill byte) []byte {
	f := make([]byte, n)
	for i := range f {
		f[i] = fill + byte(i)
	}
	return f
}

func TestHandshake(t *testing.T) {
	d, e := connected(t)
	if d.MAC() != [6]byte{0, 0x16, 0x3e, 0x0a, 0x0b, 0x0c} {
		t.Errorf("MAC %x", d.MAC())
	}
	want := map[string]string{
		"state": "4", "event-channel": "7", "request-rx-copy": "1", "feature-rx-notify": "1",
		"feature-no-csum-offload": "1", "feature-sg": "0", "feature-gso-tcpv4": "0",
	}
	for k, v := range want {
		if got := e.bus.Get("device/vif/0/" + k); got != v {
			t.Errorf("device/vif/0/%s = %q, want %q", k, got, v)
		}
	}
	// Every receive slot holds a request with its own id and a writable page granted to dom0.
	if n := e.nb.RX.Requests(); n != RingSize {
		t.Fatalf("%d receive requests posted, want %d", n, RingSize)
	}
	refs := map[uint32]bool{}
	for i := uint32(0); i < RingSize; i++ {
		s := e.nb.RX.Slot(i)
		id, ref := uint32(s[0])|uint32(s[1])<<8, uint32(s[4])|uint32(s[5])<<8|uint32(s[6])<<16|uint32(s[7])<<24
		if id != i {
			t.Fatalf("slot %d: id %d", i, id)
		}
		if _, err := (xentest.Grants{Table: e.table}).Page(ref, true); err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
		refs[ref] = true
	}
	if len(refs) != RingSize {
		t.Errorf("%d distinct receive grants, want %d", len(refs), RingSize)
	}
	if e.ev.notified.Load() == 0 {
		t.Error("no notification after connecting")
	}
	if ParseMACErr := func() error { _, err := ParseMAC("00:16:3e:00:00"); return err }(); ParseMACErr == nil {
		t.Error("ParseMAC accepted five bytes")
	}
	if _, err := ParseMAC("00:16:3e:00:00:g1"); err == nil || !strings.Contains(err.Error(), "byte 6") {
		t.Errorf("ParseMAC of a bad byte: %v", err)
	}
}

func TestReceive(t *testing.T) {
	d, e := connected(t)
	nb := e.nb
	// The backend wants to hear of the first request posted after the initial ring full.
	nb.RX.SetReqEvent(RingSize + 1)
	want := [][]byte{frame(60, 1), frame(MaxFrame, 2), frame(42, 3)}
	if err := nb.Receive(want[0], xentest.RxResponse{ID: -1}); err != nil {
		t.Fatal(err)
	}
	if err := nb.Receive(want[1], xentest.RxResponse{ID: -1, Offset: 3000}); err == nil {
		t.Fatal("the fake accepted a frame leaving its page")
	}
	// That request was consumed with no response: answer it with an error status instead.
	nb.RX.ReqCons--
	if err := nb.Receive(nil, xentest.RxResponse{ID: -1, Status: -1}); err != nil {
		t.Fatal(err)
	}
	if err := nb.Receive(want[1], xentest.RxResponse{ID: -1, Offset: 100, Flags: RxDataValidated}); err != nil {
		t.Fatal(err)
	}
	if err := nb.Receive(want[2], xentest.RxResponse{ID: -1}); err != nil {
		t.Fatal(err)
	}
	nb.PushRx()
	if nb.Notifies != 1 {
		t.Errorf("notifications asked for by the frontend: %d, want 1 (rsp_event armed)", nb.Notifies)
	}
	before := e.ev.notified.Load()
	d.Interrupt()
	got := e.frames()
	if len(got) != 3 || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) || !bytes.Equal(got[2], want[2]) {
		t.Fatalf("delivered %d frames, want the 3 sent (lengths %v)", len(got), lens(got))
	}
	if d.RxFrames != 3 || d.RxErrors != 1 {
		t.Errorf("RxFrames %d RxErrors %d, want 3 and 1", d.RxFrames, d.RxErrors)
	}
	// The four consumed slots were posted again, and the backend asked to hear of it.
	if n := nb.RX.Requests(); n != RingSize || d.rx.ReqProdPvt != RingSize+4 {
		t.Errorf("%d receive requests outstanding, %d posted; want %d and %d", n, d.rx.ReqProdPvt, RingSize, RingSize+4)
	}
	if e.ev.notified.Load() != before+1 {
		t.Errorf("notifications %d, want %d", e.ev.notified.Load(), before+1)
	}
	if d.rx.ReqProdPvt-d.rx.RspCons != RingSize {
		t.Errorf("posted %d - consumed %d != %d", d.rx.ReqProdPvt, d.rx.RspCons, RingSize)
	}
}

func lens(fs [][]byte) []int {
	var l []int
	for _, f := range fs {
		l = append(l, len(f))
	}
	return l
}

// TestReceiveDrops: responses that a frontend without feature-sg, GSO and checksum offload must
// not take are dropped and counted, and the slots go back to the backend.
func TestReceiveDrops(t *testing.T) {
	d, e := connected(t)
	nb := e.nb
	rx := func(f []byte, r xentest.RxResponse) {
		t.Helper()
		if err := nb.Receive(f, r); err != nil {
			t.Fatal(err)
		}
	}
	rx(frame(100, 1), xentest.RxResponse{ID: 77})                     // not its slot's id
	rx(frame(100, 2), xentest.RxResponse{ID: -1, Flags: RxCsumBlank}) // partial checksum
	rx(frame(100, 3), xentest.RxResponse{ID: -1, Flags: RxMoreData})  // a frame across 3 slots
	rx(frame(100, 4), xentest.RxResponse{ID: -1, Flags: RxMoreData})  // ...
	rx(frame(100, 5), xentest.RxResponse{ID: -1})                     // ... its end
	rx(frame(100, 6), xentest.RxResponse{ID: -1, Flags: RxExtraInfo}) // GSO information follows
	rx([]byte{1, 1, 0, 0, 0, 0, 0, 0}, xentest.RxResponse{ID: -1})    // extra info, MORE
	rx([]byte{1, 0, 0, 0, 0, 0, 0, 0}, xentest.RxResponse{ID: -1})    // extra info, last
	rx(frame(9, 7), xentest.RxResponse{ID: -1})                       // shorter than a header
	rx(frame(100, 8), xentest.RxResponse{ID: -1})                     // made to claim it leaves the page, below
	good := frame(200, 9)
	rx(good, xentest.RxResponse{ID: -1})
	// The extra-info entries are not responses: make them look like netif_extra_info (flags at
	// byte 1) in their slots, as netback writes them.
	for i, b := range [][2]byte{{1, 1}, {1, 0}} {
		s := nb.RX.Slot(nb.RX.RspProdPv - 5 + uint32(i))
		s[0], s[1] = b[0], b[1]
	}
	// The response that claims to leave the page: the fake refused to copy it, so forge it.
	s := nb.RX.Slot(nb.RX.RspProdPv - 2)
	s[2], s[3], s[6], s[7] = byte(4000&0xff), byte(4000>>8), 100, 0
	nb.PushRx()
	d.Interrupt()
	got := e.frames()
	if len(got) != 1 || !bytes.Equal(got[0], good) {
		t.Fatalf("delivered %v, want only the last frame", lens(got))
	}
	if d.BadResponses != 3 || d.RxCsumBlank != 1 || d.RxMultiSlot != 2 || d.RxDropped != 3 {
		t.Errorf("bad %d csum %d multi %d dropped %d; want 3 1 2 3", d.BadResponses, d.RxCsumBlank, d.RxMultiSlot, d.RxDropped)
	}
	if n := nb.RX.Requests(); n != RingSize || d.rx.ReqProdPvt != RingSize+11 {
		t.Errorf("%d receive requests outstanding, %d posted; want %d and %d", n, d.rx.ReqProdPvt, RingSize, RingSize+11)
	}
	if d.Err() != nil {
		t.Errorf("device down: %v", d.Err())
	}
}

func TestTransmit(t *testing.T) {
	d, e := connected(t)
	nb := e.nb
	nb.TX.SetReqEvent(1)
	hdr := frame(14, 0x10)
	body := frame(1500, 0x20)
	if err := d.Transmit(hdr, body); err != nil {
		t.Fatal(err)
	}
	if err := d.Transmit(frame(60, 0x30)); err != nil {
		t.Fatal(err)
	}
	if err := d.Transmit(frame(1, 0), frame(MaxFrame, 0)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1515 bytes: %v", err)
	}
	if err := d.Transmit(frame(13, 0)); !errors.Is(err, ErrTooSmall) {
		t.Errorf("13 bytes: %v", err)
	}
	if e.ev.notified.Load() == 0 {
		t.Error("no notification for the first transmit request")
	}
	reqs := nb.TakeTx()
	if len(reqs) != 2 {
		t.Fatalf("%d transmit requests, want 2", len(reqs))
	}
	if reqs[0].Err != nil || !bytes.Equal(reqs[0].Frame, append(hdr, body...)) || reqs[0].Flags != 0 || reqs[0].Size != 1514 {
		t.Errorf("first request: %+v", reqs[0].Err)
	}
	if !bytes.Equal(reqs[1].Frame, frame(60, 0x30)) || reqs[0].ID == reqs[1].ID {
		t.Errorf("second request: ids %d %d", reqs[0].ID, reqs[1].ID)
	}
	// The transmit buffers are granted read-only.
	if _, err := (xentest.Grants{Table: e.table}).Page(reqs[0].Gref, true); err == nil {
		t.Error("a transmit buffer is granted writable")
	}
	// Fill the ring without answering: the 257th frame finds no buffer.
	for i := 2; i < RingSize; i++ {
		if err := d.Transmit(frame(60, byte(i))); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := d.Transmit(frame(60, 0)); !errors.Is(err, ErrNoBuffer) {
		t.Fatalf("frame 257 with no response: %v", err)
	}
	rest := nb.TakeTx()
	if len(rest) != RingSize-2 {
		t.Fatalf("%d more requests, want %d", len(rest), RingSize-2)
	}
	// Bogus responses: an id never sent, then the same id twice. Neither may free a buffer twice.
	nb.RespondTx(999, 0)
	nb.RespondTx(reqs[0].ID, 0)
	nb.RespondTx(reqs[0].ID, 0)
	nb.RespondTx(reqs[1].ID, -1)
	if err := d.Transmit(frame(60, 0xee)); err != nil {
		t.Fatalf("after responses: %v", err)
	}
	if err := d.Transmit(frame(60, 0xef)); err != nil {
		t.Fatalf("after responses: %v", err)
	}
	if err := d.Transmit(frame(60, 0)); !errors.Is(err, ErrNoBuffer) {
		t.Errorf("a third buffer appeared: %v", err)
	}
	if d.BadResponses != 2 || d.TxErrors != 1 {
		t.Errorf("BadResponses %d TxErrors %d, want 2 and 1", d.BadResponses, d.TxErrors)
	}
	last := nb.TakeTx()
	if len(last) != 2 || !bytes.Equal(last[0].Frame, frame(60, 0xee)) || !bytes.Equal(last[1].Frame, frame(60, 0xef)) {
		t.Errorf("frames after the responses: %d", len(last))
	}
}

// TestBackendCloses: xl network-detach sets the backend Closing; the device goes down with a
// message naming the backend, and the frontend answers Closing and Closed.
func TestBackendCloses(t *testing.T) {
	d, e := connected(t)
	e.bus.SetStep(func(s *xentest.Store) {
		if fs, _ := s.Get("device/vif/0/state"); fs == "5" {
			s.Set(e.be+"/state", "6")
		}
	})
	e.bus.Set(e.be+"/state", "5")
	xenstore.Read("domid") // the daemon delivers the watch event with the next reply
	select {
	case <-d.Down():
	case <-time.After(10 * time.Second):
		t.Fatal("the device did not go down")
	}
	err := d.Transmit(frame(60, 0))
	if err == nil || !strings.Contains(err.Error(), "went to Closing (5): the device is gone") ||
		!strings.Contains(err.Error(), e.be) {
		t.Errorf("Transmit after the backend closed: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.bus.Get("device/vif/0/state") != "6" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		xenstore.Read("domid")
	}
	if st := e.bus.Get("device/vif/0/state"); st != "6" {
		t.Errorf("frontend state %s, want 6 (Closed)", st)
	}
}

// TestBrokenBackend: a backend that claims more responses than requests brings the device down.
func TestBrokenBackend(t *testing.T) {
	d, e := connected(t)
	e.nb.RX.SetRspProd(RingSize + 1)
	d.Interrupt()
	if err := d.Err(); !errors.Is(err, ring.ErrOverflow) {
		t.Fatalf("Err = %v, want the ring overflow", err)
	}
	if err := d.Transmit(frame(60, 0)); !errors.Is(err, ring.ErrOverflow) {
		t.Errorf("Transmit: %v", err)
	}
}
