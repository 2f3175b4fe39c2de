// This file implements the backend side of io/ring.h rings and grant-table lookups, for the
// fake netback and blkback.

package xentest

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

var le = binary.LittleEndian

// Shared ring page layout (io/ring.h).
const (
	RingReqProd  = 0
	RingReqEvent = 4
	RingRspProd  = 8
	RingRspEvent = 12
	RingHeader   = 64
)

// Grant entry v1 (grant_table.h): u16 flags, u16 domid, u32 frame.
const (
	gtfPermitAccess = 1 << 0
	gtfReadonly     = 1 << 2
)

// Grants resolves grant references through a grant table in host memory (the one the driver
// under test set up with gnttab.Setup), as Xen would for the backend domain Domid: frames are
// host addresses / 4096.
type Grants struct {
	Table []byte
	Domid uint16
}

// Page returns the page granted by ref, checking that it is granted to Domid, and writable when
// write is set.
func (g Grants) Page(ref uint32, write bool) ([]byte, error) {
	if int(ref)*8+8 > len(g.Table) {
		return nil, fmt.Errorf("xentest: grant reference %d outside the table", ref)
	}
	e := g.Table[ref*8:]
	flags, domid, frame := le.Uint16(e), le.Uint16(e[2:]), le.Uint32(e[4:])
	switch {
	case flags&gtfPermitAccess == 0:
		return nil, fmt.Errorf("xentest: grant reference %d is not granted (flags %#x)", ref, flags)
	case domid != g.Domid:
		return nil, fmt.Errorf("xentest: grant reference %d is granted to domain %d, not %d", ref, domid, g.Domid)
	case write && flags&gtfReadonly != 0:
		return nil, fmt.Errorf("xentest: grant reference %d is read-only", ref)
	}
	return hw.Bytes(uintptr(frame)*PageSize, PageSize), nil
}

// BackRing is the backend's end of a shared ring: it consumes requests and produces responses
// in the same slots' space.
type BackRing struct {
	Page      []byte
	N         uint32
	Entry     int
	ReqCons   uint32
	RspProdPv uint32
}

// NewBackRing attaches to the ring page with n entries of entry bytes.
func NewBackRing(page []byte, entry int) *BackRing {
	n := (PageSize - RingHeader) / entry
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return &BackRing{Page: page, N: uint32(p), Entry: entry}
}

func (r *BackRing) addr(off int) uintptr { return uintptr(unsafe.Pointer(&r.Page[off])) }

// Slot returns the bytes of the entry index i names.
func (r *BackRing) Slot(i uint32) []byte {
	o := RingHeader + int(i&(r.N-1))*r.Entry
	return r.Page[o : o+r.Entry]
}

// Requests returns the number of requests published and not consumed.
func (r *BackRing) Requests() int {
	return int(hw.Load32(r.addr(RingReqProd)) - r.ReqCons)
}

// Push publishes the responses produced (rsp_prod) and reports whether the frontend asked to be
// notified.
func (r *BackRing) Push() bool {
	old := hw.Load32(r.addr(RingRspProd))
	hw.Store32(r.addr(RingRspProd), r.RspProdPv)
	ev := hw.Load32(r.addr(RingRspEvent))
	return r.RspProdPv-ev < r.RspProdPv-old
}

// SetReqEvent asks for a notification when req_prod passes v.
func (r *BackRing) SetReqEvent(v uint32) { hw.Store32(r.addr(RingReqEvent), v) }

// SetRspProd stores rsp_prod directly (to play a broken backend).
func (r *BackRing) SetRspProd(v uint32) { hw.Store32(r.addr(RingRspProd), v) }
