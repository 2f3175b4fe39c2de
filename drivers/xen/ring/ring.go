// Package ring implements the frontend side of Xen's shared I/O rings: one page that holds the
// producer and consumer indices of a request/response ring and its entries, shared with the
// backend domain through a grant.
//
// Reference: xen/include/public/io/ring.h (DEFINE_RING_TYPES, SHARED_RING_INIT,
// FRONT_RING_INIT, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_FINAL_CHECK_FOR_RESPONSES,
// RING_RESPONSE_PROD_OVERFLOW), Xen 4.17; xen-pvh-abi.md §9.
//
// The shared page (struct <name>_sring):
//
//	 0 u32 req_prod    the frontend's published request count (free-running)
//	 4 u32 req_event   the backend wants a notification when req_prod passes it
//	 8 u32 rsp_prod    the backend's published response count
//	12 u32 rsp_event   the frontend wants a notification when rsp_prod passes it
//	16 pad to 64
//	64 ring[n]         union { request; response } entries
//
// n is the largest power of two such that n entries fit after the header. Indices are
// free-running u32 counts; an index i names entry i & (n-1). The frontend owns req_prod and
// rsp_event, the backend req_event and rsp_prod.
//
// The frontend keeps private indices: ReqProdPvt (requests written, not yet pushed) and RspCons
// (responses consumed). Requests go into Request(ReqProdPvt) slots; Push publishes them and says
// whether the backend must be notified. Responses are read at Response(RspCons) while Pending()
// is non-zero; after consuming them FinalCheck arms rsp_event and says whether more arrived
// meanwhile (then consume again), so that no response is left without a notification.
//
// On x86-64 (TSO) the only reordering to guard against is a later load passing an earlier store;
// the index stores are atomic exchanges (full barriers), as ring.h's wmb/mb require.
//
// The backend is another domain and is not trusted: Pending reports an error when rsp_prod runs
// further ahead of RspCons than the ring holds.
package ring

import (
	"errors"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// Layout of the shared page.
const (
	OffReqProd  = 0
	OffReqEvent = 4
	OffRspProd  = 8
	OffRspEvent = 12
	HeaderSize  = 64
	PageSize    = 4096
)

// Entries returns the number of entries of a one-page ring whose union of request and response
// is entrySize bytes: (4096 - 64) / entrySize rounded down to a power of two (__RING_SIZE).
func Entries(entrySize int) int {
	if entrySize <= 0 || entrySize > PageSize-HeaderSize {
		return 0
	}
	n := (PageSize - HeaderSize) / entrySize
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}

// ErrOverflow is returned by Pending when the backend claims more responses than the ring can
// hold: a broken or hostile backend.
var ErrOverflow = errors.New("xen ring: the backend produced more responses than the ring holds")

// Front is the frontend's view of a shared ring.
type Front struct {
	page  uintptr
	n     uint32
	entry uintptr

	// ReqProdPvt counts the requests written (Push publishes them); RspCons the responses
	// consumed.
	ReqProdPvt uint32
	RspCons    uint32
}

// Init zeroes the shared page at page (SHARED_RING_INIT: req_event = rsp_event = 1) and returns
// the frontend of a ring of entrySize-byte entries on it (FRONT_RING_INIT).
func Init(page uintptr, entrySize int) *Front {
	f := Attach(page, entrySize)
	clear(hw.Bytes(page, PageSize))
	hw.Store32(page+OffReqEvent, 1)
	hw.Store32(page+OffRspEvent, 1)
	return f
}

// Attach returns the frontend of an already initialised ring page (no writes).
func Attach(page uintptr, entrySize int) *Front {
	return &Front{page: page, n: uint32(Entries(entrySize)), entry: uintptr(entrySize)}
}

// Size returns the number of entries.
func (f *Front) Size() int { return int(f.n) }

// Page returns the address of the shared page.
func (f *Front) Page() uintptr { return f.page }

// Slot returns the address of the entry that index i names.
func (f *Front) Slot(i uint32) uintptr {
	return f.page + HeaderSize + uintptr(i&(f.n-1))*f.entry
}

// Free returns how many requests can be written before the ring is full: entries whose
// responses have been consumed (RING_FREE_REQUESTS).
func (f *Front) Free() int { return int(f.n - (f.ReqProdPvt - f.RspCons)) }

// Request returns the address of the next request slot, at ReqProdPvt. The caller fills it and
// increments ReqProdPvt; check Free first.
func (f *Front) Request() uintptr { return f.Slot(f.ReqProdPvt) }

// Push publishes the requests written since the last Push (req_prod = ReqProdPvt) and reports
// whether the backend asked to be notified of them (req_event within the new ones)
// (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
func (f *Front) Push() (notify bool) {
	old := hw.Load32(f.page + OffReqProd)
	nw := f.ReqProdPvt
	hw.Store32(f.page+OffReqProd, nw) // after the requests' bytes; a full barrier before the next load
	ev := hw.Load32(f.page + OffReqEvent)
	return nw-ev < nw-old
}

// Pending returns the number of responses published and not yet consumed. The response at
// RspCons is at Response().
func (f *Front) Pending() (int, error) {
	p := hw.Load32(f.page + OffRspProd)
	n := p - f.RspCons
	if n > f.n || n > f.ReqProdPvt-f.RspCons {
		return 0, ErrOverflow
	}
	return int(n), nil
}

// Response returns the address of the response at RspCons. The caller reads it and increments
// RspCons.
func (f *Front) Response() uintptr { return f.Slot(f.RspCons) }

// FinalCheck arms the response notification (rsp_event = RspCons + 1) and reports whether
// responses arrived meanwhile, which the caller must then consume
// (RING_FINAL_CHECK_FOR_RESPONSES).
func (f *Front) FinalCheck() bool {
	if p := hw.Load32(f.page + OffRspProd); p != f.RspCons {
		return true
	}
	hw.Store32(f.page+OffRspEvent, f.RspCons+1) // full barrier before the re-check
	return hw.Load32(f.page+OffRspProd) != f.RspCons
}

// Quiet makes the backend stop notifying responses for a while: rsp_event is put half the index
// space away, so that only ~2^31 more responses would trigger a notification. FinalCheck
// re-arms it.
func (f *Front) Quiet() { hw.Store32(f.page+OffRspEvent, f.RspCons+1<<31) }
