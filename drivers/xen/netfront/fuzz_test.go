package netfront

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/ring"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// fuzzDevice is a device set up on host memory once per fuzz target, with a fake netback
// attached to its rings and no xenstore handshake; reset returns it to its state after set-up
// for each input. Each delivered frame is checked to lie within a receive page.
type fuzzDevice struct {
	d      *Device
	nb     *xentest.Netback
	tbl    []byte
	t      *testing.T // the current input's
	frames int
}

func newFuzzDevice(f *testing.F) *fuzzDevice {
	b := make([]byte, 5*4096)
	a := (hw.Addr(b) + 4095) &^ 4095
	setupGrants(a)
	mem := &xentest.Memory{}
	f.Cleanup(func() { setupGrants(0); mem.Free(); _ = b })
	fd := &fuzzDevice{tbl: hw.Bytes(a, 4*4096)}
	d := &Device{fe: &xenbus.Frontend{Events: &fakeEvents{}}, mem: mem}
	d.life.Init(d.fe, "netfront")
	d.receive = func(fr []byte) {
		t := fd.t
		if len(fr) < MinFrame || len(fr) > MaxFrame {
			t.Fatalf("delivered a frame of %d bytes", len(fr))
		}
		p := hw.Addr(fr)
		ok := false
		for _, pg := range d.rxPage {
			if p >= pg && p+uintptr(len(fr)) <= pg+pageSize {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("delivered a frame at %#x that is not inside a receive page", p)
		}
		fd.frames++
	}
	if err := d.setup(); err != nil {
		f.Fatal(err)
	}
	fd.d = d
	return fd
}

// reset puts the device back in its state after set-up (rings initialised, every receive slot
// posted, every transmit buffer free, up) and attaches a new fake netback.
func (fd *fuzzDevice) reset(t *testing.T) (*Device, *xentest.Netback) {
	fd.t, fd.frames = t, 0
	d := fd.d
	d.tx = ring.Init(d.tx.Page(), TxRequestSize)
	d.tx.Quiet()
	d.rx = ring.Init(d.rx.Page(), RxRequestSize)
	for i := 0; i < RingSize; i++ {
		d.postRx()
	}
	d.rx.Push()
	d.rxExtra, d.rxCont = false, false
	d.txBusy = [RingSize]bool{}
	d.txFree = d.txFree[:0]
	for i := RingSize - 1; i >= 0; i-- {
		d.txFree = append(d.txFree, uint16(i))
	}
	d.RxFrames, d.RxDropped, d.RxErrors, d.TxFrames, d.TxDropped, d.TxErrors = 0, 0, 0, 0, 0, 0
	d.BadResponses, d.RxCsumBlank, d.RxMultiSlot = 0, 0, 0
	d.life = xenbus.Lifetime{}
	d.life.Init(d.fe, "netfront")
	nb, err := xentest.NewNetback(xentest.Grants{Table: fd.tbl}, d.ringRef[0], d.ringRef[1])
	if err != nil {
		t.Fatal(err)
	}
	return d, nb
}

// FuzzReceiveResponses feeds the receive-response consumer any ring contents: responses with any
// id, offset, flags and status, extra-info chains and continuations, and any rsp_prod. It must
// never deliver a frame outside a receive page or of a bad length, must post every consumed
// slot again, and must bring the device down (not crash) on an rsp_prod beyond the requests.
func FuzzReceiveResponses(f *testing.F) {
	rsp := func(id, off, flags uint16, status int16) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint16(b, id)
		binary.LittleEndian.PutUint16(b[2:], off)
		binary.LittleEndian.PutUint16(b[4:], flags)
		binary.LittleEndian.PutUint16(b[6:], uint16(status))
		return b
	}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	f.Add(uint16(1), rsp(0, 0, 0, 60))
	f.Add(uint16(3), cat(rsp(0, 0, RxMoreData, 100), rsp(1, 0, RxMoreData, 100), rsp(2, 0, 0, 100)))
	f.Add(uint16(3), cat(rsp(0, 0, RxExtraInfo, 100), []byte{1, 1, 0, 0, 0, 0, 0, 0}, []byte{1, 0, 0, 0, 0, 0, 0, 0}))
	f.Add(uint16(2), cat(rsp(0, 4095, 0, 1514), rsp(5, 0, RxCsumBlank, -1)))
	f.Add(uint16(300), []byte{})
	fd := newFuzzDevice(f)
	f.Fuzz(func(t *testing.T, n uint16, data []byte) {
		d, nb := fd.reset(t)
		// The backend "copies" nothing: the responses are whatever data says, slot by slot.
		for i := 0; i < int(n) && i < RingSize; i++ {
			s := nb.RX.Slot(uint32(i))
			clear(s)
			if 8*i < len(data) {
				copy(s, data[8*i:])
			}
		}
		nb.RX.SetRspProd(uint32(n))
		d.Interrupt()
		if n > RingSize {
			if !errors.Is(d.Err(), ring.ErrOverflow) {
				t.Fatalf("rsp_prod %d beyond the %d requests: Err = %v", n, RingSize, d.Err())
			}
			return
		}
		if d.Err() != nil {
			t.Fatalf("device down: %v", d.Err())
		}
		if d.rx.RspCons != uint32(n) || d.rx.ReqProdPvt != RingSize+uint32(n) {
			t.Fatalf("consumed %d of %d, posted %d", d.rx.RspCons, n, d.rx.ReqProdPvt)
		}
		if uint64(fd.frames) != d.RxFrames {
			t.Fatalf("%d frames delivered, RxFrames %d", fd.frames, d.RxFrames)
		}
		// Every slot posted again names its own page.
		for i := uint32(0); i < RingSize; i++ {
			s := nb.RX.Slot(i)
			if id := binary.LittleEndian.Uint16(s); uint32(id) != i && i < uint32(n) {
				t.Fatalf("slot %d reposted with id %d", i, id)
			}
		}
	})
}

// FuzzTransmitResponses answers transmitted frames with any transmit responses (ids, statuses,
// counts): no buffer may be freed twice or lost, and a response count beyond the requests brings
// the device down.
func FuzzTransmitResponses(f *testing.F) {
	f.Add(uint8(3), []byte{0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0xff, 0xff})
	f.Add(uint8(2), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(1), []byte{0xff, 0xff, 1, 0})
	fd := newFuzzDevice(f)
	f.Fuzz(func(t *testing.T, sent uint8, data []byte) {
		d, nb := fd.reset(t)
		for i := 0; i < int(sent); i++ {
			if err := d.Transmit(make([]byte, 60)); err != nil {
				t.Fatal(err)
			}
		}
		nb.TakeTx()
		m := len(data) / 4
		for i := 0; i < m; i++ {
			s := nb.TX.Slot(nb.TX.RspProdPv)
			nb.TX.RspProdPv++
			copy(s, data[4*i:4*i+4])
		}
		nb.TX.Push()
		err := d.Transmit(make([]byte, 60))
		if err != nil {
			t.Fatal(err)
		}
		if m > int(sent)+1 {
			if !errors.Is(d.Err(), ring.ErrOverflow) {
				// Reaping happens only when the ring is full; force it.
				d.txMu.Lock()
				rerr := d.reapTx()
				d.txMu.Unlock()
				if !errors.Is(rerr, ring.ErrOverflow) {
					t.Fatalf("%d responses to %d requests: no overflow (%v)", m, int(sent)+1, rerr)
				}
			}
			return
		}
		d.txMu.Lock()
		defer d.txMu.Unlock()
		if err := d.reapTx(); err != nil {
			t.Fatal(err)
		}
		seen := map[uint16]bool{}
		for _, id := range d.txFree {
			if seen[id] || d.txBusy[id] {
				t.Fatalf("buffer %d free twice, or free and busy", id)
			}
			seen[id] = true
		}
		busy := 0
		for _, b := range d.txBusy {
			if b {
				busy++
			}
		}
		if busy+len(d.txFree) != RingSize {
			t.Fatalf("%d busy + %d free != %d", busy, len(d.txFree), RingSize)
		}
	})
}

// setupGrants gives gnttab a table of 4 frames at a (0: none).
func setupGrants(a uintptr) {
	if a == 0 {
		gnttab.Setup(0, 0)
		return
	}
	gnttab.Setup(a, 4)
}
