package wire

import (
	"testing"
	"unsafe"
)

// The records of the package comment as Go structs, field by field with the documented widths;
// Go lays them out as C does (natural alignment), so their offsets are the layout the diagrams
// describe.
type (
	header struct {
		Count, _ uint32
		IRQs     uint64
	}
	request struct {
		ID, Nr     uint32
		Obj        int32
		Flags, TID uint32
		Spare      int32
		Args       [6]uint64
	}
	completion struct {
		ID, How                        uint32
		Result                         int64
		Ready, Wait, FDFlags, NewReady uint32
	}
	ringHeader struct {
		RxHead, RxTail, TxHead, TxTail uint32
		State, Errno, KState, _        uint32
		RxPages, TxPages               [RingPages]uint64
	}
)

// TestLayouts pins every named offset and size of the relay's records to the diagrams in the
// package comment, which both sides of the relay follow.
func TestLayouts(t *testing.T) {
	var h header
	var r request
	var c completion
	var g ringHeader
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"HeaderSize", HeaderSize, unsafe.Sizeof(h)},
		{"HdrCount", HdrCount, unsafe.Offsetof(h.Count)},
		{"HdrIRQs", HdrIRQs, unsafe.Offsetof(h.IRQs)},
		{"RequestSize", RequestSize, unsafe.Sizeof(r)},
		{"ReqID", ReqID, unsafe.Offsetof(r.ID)},
		{"ReqNr", ReqNr, unsafe.Offsetof(r.Nr)},
		{"ReqObj", ReqObj, unsafe.Offsetof(r.Obj)},
		{"ReqFlags", ReqFlags, unsafe.Offsetof(r.Flags)},
		{"ReqTID", ReqTID, unsafe.Offsetof(r.TID)},
		{"ReqSpare", ReqSpare, unsafe.Offsetof(r.Spare)},
		{"ReqArgs", ReqArgs, unsafe.Offsetof(r.Args)},
		{"CompletionSize", CompletionSize, unsafe.Sizeof(c)},
		{"DoneID", DoneID, unsafe.Offsetof(c.ID)},
		{"DoneHow", DoneHow, unsafe.Offsetof(c.How)},
		{"DoneResult", DoneResult, unsafe.Offsetof(c.Result)},
		{"DoneReady", DoneReady, unsafe.Offsetof(c.Ready)},
		{"DoneWait", DoneWait, unsafe.Offsetof(c.Wait)},
		{"DoneFDFlags", DoneFDFlags, unsafe.Offsetof(c.FDFlags)},
		{"DoneNewReady", DoneNewReady, unsafe.Offsetof(c.NewReady)},
		{"RingHeaderSize", RingHeaderSize, unsafe.Sizeof(g)},
		{"RingRxHead", RingRxHead, unsafe.Offsetof(g.RxHead)},
		{"RingRxTail", RingRxTail, unsafe.Offsetof(g.RxTail)},
		{"RingTxHead", RingTxHead, unsafe.Offsetof(g.TxHead)},
		{"RingTxTail", RingTxTail, unsafe.Offsetof(g.TxTail)},
		{"RingState", RingState, unsafe.Offsetof(g.State)},
		{"RingErrno", RingErrno, unsafe.Offsetof(g.Errno)},
		{"RingKState", RingKState, unsafe.Offsetof(g.KState)},
		{"RingRxPages", RingRxPages, unsafe.Offsetof(g.RxPages)},
		{"RingTxPages", RingTxPages, unsafe.Offsetof(g.TxPages)},
	} {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d (the layout in the package comment)", f.name, f.got, f.want)
		}
	}
	if RingSize != RingPages*4096 {
		t.Errorf("RingSize = %d, want RingPages frames", RingSize)
	}
}
