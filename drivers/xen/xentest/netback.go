// This file implements the fake netback.

package xentest

import (
	"errors"
	"fmt"
)

// io/netif.h entry sizes and the offsets the fake reads and writes (independent of the driver).
const (
	netTxReq = 12 // u32 gref, u16 offset, u16 flags, u16 id, u16 size
	netRxReq = 8  // u16 id, u16 pad, u32 gref
)

// Netback plays Linux netback for a vif: it copies frames into the frontend's posted receive
// buffers (request-rx-copy) and takes the frames of its transmit requests.
type Netback struct {
	Grants Grants
	TX, RX *BackRing
	// Notifies counts the notifications the frontend asked for (rsp_event).
	Notifies int
}

// NewNetback attaches to the rings granted as tx-ring-ref and rx-ring-ref.
func NewNetback(g Grants, txRef, rxRef uint32) (*Netback, error) {
	tx, err := g.Page(txRef, true)
	if err != nil {
		return nil, fmt.Errorf("tx-ring-ref: %w", err)
	}
	rx, err := g.Page(rxRef, true)
	if err != nil {
		return nil, fmt.Errorf("rx-ring-ref: %w", err)
	}
	return &Netback{Grants: g, TX: NewBackRing(tx, netTxReq), RX: NewBackRing(rx, netRxReq)}, nil
}

// RxResponse is the receive response the fake writes for a frame.
type RxResponse struct {
	Offset uint16
	Flags  uint16
	Status int16 // 0: the frame's length
	ID     int   // -1: the request's id
}

// ErrNoRequest: the frontend has posted no receive buffer.
var ErrNoRequest = errors.New("xentest: no receive request posted")

// Receive copies frame into the next posted receive buffer at rsp.Offset and writes the response
// in that request's slot; it does not publish it (Push).
func (n *Netback) Receive(frame []byte, rsp RxResponse) error {
	if n.RX.Requests() == 0 {
		return ErrNoRequest
	}
	req := n.RX.Slot(n.RX.ReqCons)
	id, ref := le.Uint16(req[0:]), le.Uint32(req[4:])
	n.RX.ReqCons++
	if len(frame) > 0 {
		page, err := n.Grants.Page(ref, true)
		if err != nil {
			return err
		}
		if int(rsp.Offset)+len(frame) > PageSize {
			return fmt.Errorf("xentest: frame of %d bytes at offset %d leaves the page", len(frame), rsp.Offset)
		}
		copy(page[rsp.Offset:], frame)
	}
	out := n.RX.Slot(n.RX.RspProdPv)
	n.RX.RspProdPv++
	if rsp.ID >= 0 {
		id = uint16(rsp.ID)
	}
	st := rsp.Status
	if st == 0 {
		st = int16(len(frame))
	}
	le.PutUint16(out[0:], id)
	le.PutUint16(out[2:], rsp.Offset)
	le.PutUint16(out[4:], rsp.Flags)
	le.PutUint16(out[6:], uint16(st))
	return nil
}

// PushRx publishes the receive responses, counting a notification if the frontend asked for one.
func (n *Netback) PushRx() {
	if n.RX.Push() {
		n.Notifies++
	}
}

// A TxRequest is a transmit request as the fake read it.
type TxRequest struct {
	Gref   uint32
	Offset uint16
	Flags  uint16
	ID     uint16
	Size   uint16
	Frame  []byte // a copy of the granted bytes, nil when the grant was bad
	Err    error
}

// TakeTx consumes the transmit requests and returns them with their frames, without answering.
func (n *Netback) TakeTx() []TxRequest {
	var out []TxRequest
	for n.TX.Requests() > 0 {
		b := n.TX.Slot(n.TX.ReqCons)
		n.TX.ReqCons++
		r := TxRequest{Gref: le.Uint32(b), Offset: le.Uint16(b[4:]), Flags: le.Uint16(b[6:]),
			ID: le.Uint16(b[8:]), Size: le.Uint16(b[10:])}
		page, err := n.Grants.Page(r.Gref, false)
		switch {
		case err != nil:
			r.Err = err
		case int(r.Offset)+int(r.Size) > PageSize:
			r.Err = fmt.Errorf("xentest: transmit request leaves its page (offset %d, size %d)", r.Offset, r.Size)
		default:
			r.Frame = append([]byte(nil), page[r.Offset:int(r.Offset)+int(r.Size)]...)
		}
		out = append(out, r)
	}
	return out
}

// RespondTx writes a transmit response (id, status) and publishes it.
func (n *Netback) RespondTx(id uint16, status int16) {
	b := n.TX.Slot(n.TX.RspProdPv)
	n.TX.RspProdPv++
	le.PutUint16(b[0:], id)
	le.PutUint16(b[2:], uint16(status))
	if n.TX.Push() {
		n.Notifies++
	}
}

// Sent consumes the transmit requests, answers each with status OK and returns their frames.
func (n *Netback) Sent() ([][]byte, error) {
	var frames [][]byte
	for _, r := range n.TakeTx() {
		if r.Err != nil {
			return frames, r.Err
		}
		frames = append(frames, r.Frame)
		n.RespondTx(r.ID, 0)
	}
	return frames, nil
}
