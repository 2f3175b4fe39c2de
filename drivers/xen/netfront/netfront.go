// Package netfront drives a Xen paravirtual network interface (vif) from a domain: the transmit
// and receive rings shared with the backend (Linux netback in dom0), Ethernet frames in granted
// pages, the MAC address from xenstore.
//
// Reference: xen/include/public/io/netif.h (struct netif_tx_request, netif_tx_response,
// netif_rx_request, netif_rx_response, NETTXF_*, NETRXF_*, NETIF_RSP_*, the feature keys),
// xen/include/public/io/ring.h, Xen 4.17; xen-pvh-abi.md §9 and net-storage-notes.md §10.
//
// Ring entries (256 per one-page ring):
//
//	netif_tx_request  (12 B)  u32 gref @0, u16 offset @4, u16 flags @6, u16 id @8, u16 size @10
//	netif_tx_response (4 B)   u16 id @0, i16 status @2
//	netif_rx_request  (8 B)   u16 id @0, u16 pad, u32 gref @4
//	netif_rx_response (8 B)   u16 id @0, u16 offset @2, u16 flags @4, i16 status @6 (> 0: length)
//
// # Handshake (xenbus)
//
// Once the backend is in InitWait, the driver grants the two ring pages and the buffers to the
// backend's domain, allocates an unbound event channel, posts a receive request for every ring
// slot, and writes tx-ring-ref, rx-ring-ref, event-channel, request-rx-copy = 1 (netback only
// copies into the frontend's pages), feature-rx-notify = 1 (the driver notifies when it posts
// receive requests), feature-no-csum-offload = 1 and feature-sg, feature-gso-tcpv4/v6 = 0, with
// state Connected; the backend then goes to Connected.
//
// Without checksum offload every frame crosses the rings with complete checksums: the backend
// completes partial checksums before it copies a frame in (feature-no-csum-offload, whose absence
// would mean "on"), and netstack computes them for the frames it sends. Without feature-sg a frame
// takes one slot and stays within a page, so a 1514-byte frame fits a 2 KiB transmit buffer.
//
// # Memory
//
// Rings and buffers are identity-mapped frames (Memory; relay.DMA in a kernel), granted once at
// set-up and kept: each receive slot owns a page (the backend may copy at a non-zero offset),
// each transmit id half a page. A buffer is reused only after the backend's response for it: for
// a transmit that is after netback released its mapping of the page.
//
// # Receive slots
//
// Linux netfront and netback pair a receive response with the request in the same ring slot
// (extra-info entries overlay responses in their slots), so the driver posts the request of slot
// i with id i and that slot's page, and takes the response of slot i from that page. A response
// whose id does not match its slot is counted and its data dropped. Packets that span slots
// (NETRXF_more_data, without feature-sg), extra-info chains and frames with partial checksums
// (NETRXF_csum_blank) are dropped and counted: none should arrive with the features written.
//
// # Contexts
//
// The driver runs in program context. Interrupt (on the relay server, when the event channel
// fires) consumes the receive responses, hands each frame to the receive callback, posts the
// slots again, and reaps transmit responses; Transmit may be called from any goroutine and reaps
// transmit responses too (the driver asks for no transmit interrupts). A backend that closes the
// device (xl network-detach), or breaks the ring protocol, brings the device down: Transmit then
// fails with the reason (Err), and Down's channel is closed.
package netfront

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/ring"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
)

// Ring entry layouts (io/netif.h).
const (
	TxRequestSize = 12
	RxRequestSize = 8

	txGref   = 0
	txOffset = 4
	txFlags  = 6
	txID     = 8
	txSize   = 10

	txRspID     = 0
	txRspStatus = 2

	rxID   = 0
	rxGref = 4

	rxRspID     = 0
	rxRspOffset = 2
	rxRspFlags  = 4
	rxRspStatus = 6
)

// Flags and status values (io/netif.h).
const (
	TxCsumBlank     = 1 << 0
	TxDataValidated = 1 << 1
	TxMoreData      = 1 << 2
	TxExtraInfo     = 1 << 3

	RxDataValidated = 1 << 0
	RxCsumBlank     = 1 << 1
	RxMoreData      = 1 << 2
	RxExtraInfo     = 1 << 3
	RxGSOPrefix     = 1 << 4

	StatusOK      = 0
	StatusError   = -1
	StatusDropped = -2
	StatusNull    = 1

	// extraFlagMore is XEN_NETIF_EXTRA_FLAG_MORE in struct netif_extra_info's flags (byte 1).
	extraFlagMore = 1 << 0
)

// Sizes.
const (
	pageSize = 4096
	// RingSize is the number of entries of each ring.
	RingSize = 256
	txBuf    = 2048 // two transmit buffers a page
	// MaxFrame is the largest frame the driver sends or receives: 1514 bytes of Ethernet
	// without the FCS (MTU 1500).
	MaxFrame = 1514
	// MinFrame is the smallest frame netback takes (ETH_HLEN).
	MinFrame = 14
	// ConnectTimeout bounds each wait for the backend during the handshake.
	ConnectTimeout = 30 * time.Second
)

// Memory gives the driver identity-mapped frames (relay.DMA in a kernel).
type Memory interface {
	// Alloc returns a zeroed 4 KiB frame; its address is its physical address.
	Alloc() (uintptr, error)
	// Bytes views n bytes at addr.
	Bytes(addr uintptr, n int) []byte
}

// Errors of Transmit.
var (
	ErrTooLarge = errors.New("netfront: frame too large")
	ErrTooSmall = errors.New("netfront: frame shorter than an Ethernet header")
	ErrNoBuffer = errors.New("netfront: transmit ring full")
)

// Device is a Xen network interface.
type Device struct {
	fe      *xenbus.Frontend
	mem     Memory
	mac     [6]byte
	port    uint32
	receive func(frame []byte)

	rxMu   sync.Mutex // Interrupt
	rx     *ring.Front
	rxPage [RingSize]uintptr // by slot
	rxRef  [RingSize]uint32
	// rxExtra: the next entry is a netif_extra_info; rxCont: the next response continues a
	// dropped frame.
	rxExtra, rxCont bool

	txMu    sync.Mutex
	tx      *ring.Front
	txAddr  [RingSize]uintptr // by id
	txRef   [RingSize]uint32
	txBusy  [RingSize]bool
	txFree  []uint16
	ringRef [2]uint32 // tx, rx

	life xenbus.Lifetime // up, or down and why

	// Counters, for tests and diagnostics (read them with the device quiet).
	RxFrames, RxDropped, RxErrors uint64
	TxFrames, TxDropped, TxErrors uint64
	BadResponses                  uint64 // responses naming no request of theirs
	RxCsumBlank, RxMultiSlot      uint64
}

// New prepares the device of frontend fe: it reads the MAC address, waits for the backend to be
// ready (InitWait), grants the rings and buffers (from mem) and allocates the event channel.
// Route the event channel (Port) to a call of Interrupt, then call Connect. Frames received are
// passed to receive on Interrupt's goroutine; the slice is valid during the call only.
func New(fe *xenbus.Frontend, mem Memory, receive func(frame []byte)) (*Device, error) {
	d := &Device{fe: fe, mem: mem, receive: receive}
	d.life.Init(fe, "netfront")
	macs, err := fe.Read("mac")
	if err != nil {
		return nil, err
	}
	if d.mac, err = ParseMAC(macs); err != nil {
		return nil, fmt.Errorf("netfront: %s/mac: %w", fe.Path, err)
	}
	if _, err := fe.WaitBackend(ConnectTimeout, xenbus.InitWait); err != nil {
		return nil, fmt.Errorf("netfront: %v: %w", fe, err)
	}
	if err := d.setup(); err != nil {
		return nil, fmt.Errorf("netfront: %v: %w", fe, err)
	}
	return d, nil
}

// ParseMAC parses a MAC address written as six colon-separated hexadecimal bytes.
func ParseMAC(s string) ([6]byte, error) {
	var mac [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return mac, fmt.Errorf("MAC address %q: want six bytes like 00:16:3e:00:00:01", s)
	}
	for i, p := range parts {
		b, err := strconv.ParseUint(p, 16, 8)
		if err != nil || len(p) == 0 || len(p) > 2 {
			return mac, fmt.Errorf("MAC address %q: byte %d is not hexadecimal", s, i+1)
		}
		mac[i] = byte(b)
	}
	return mac, nil
}

func (d *Device) grant(addr uintptr, readonly bool) (uint32, error) {
	ref, ok := gnttab.Grant(d.fe.BackendID, uint64(addr)/pageSize, readonly)
	if !ok {
		return 0, errors.New("out of grant references")
	}
	return ref, nil
}

func (d *Device) setup() error {
	var pages [2]uintptr
	for i := range pages {
		p, err := d.mem.Alloc()
		if err != nil {
			return fmt.Errorf("ring page: %w", err)
		}
		pages[i] = p
		if d.ringRef[i], err = d.grant(p, false); err != nil {
			return err
		}
	}
	d.tx = ring.Init(pages[0], TxRequestSize)
	d.rx = ring.Init(pages[1], RxRequestSize)
	if d.tx.Size() != RingSize || d.rx.Size() != RingSize {
		return fmt.Errorf("ring sizes %d and %d, want %d", d.tx.Size(), d.rx.Size(), RingSize)
	}
	d.tx.Quiet() // transmit responses are reaped when frames go out, without interrupts
	for i := 0; i < RingSize; i += pageSize / txBuf {
		p, err := d.mem.Alloc()
		if err != nil {
			return fmt.Errorf("transmit buffers: %w", err)
		}
		ref, err := d.grant(p, true)
		if err != nil {
			return err
		}
		for j := 0; j < pageSize/txBuf; j++ {
			d.txAddr[i+j], d.txRef[i+j] = p+uintptr(j*txBuf), ref
		}
	}
	for i := RingSize - 1; i >= 0; i-- {
		d.txFree = append(d.txFree, uint16(i))
	}
	for i := 0; i < RingSize; i++ {
		p, err := d.mem.Alloc()
		if err != nil {
			return fmt.Errorf("receive buffers: %w", err)
		}
		if d.rxRef[i], err = d.grant(p, false); err != nil {
			return err
		}
		d.rxPage[i] = p
		d.postRx()
	}
	d.rx.Push()
	port, err := d.fe.Events.AllocUnbound(d.fe.BackendID)
	if err != nil {
		return err
	}
	d.port = port
	return nil
}

// postRx posts the receive request of the slot at ReqProdPvt (that slot's page) and advances.
func (d *Device) postRx() {
	slot := d.rx.ReqProdPvt & (RingSize - 1)
	r := d.rx.Request()
	hw.Store16(r+rxID, uint16(slot))
	hw.Store16(r+2, 0)
	hw.Store32(r+rxGref, d.rxRef[slot])
	d.rx.ReqProdPvt++
}

// Port returns the event channel, to be routed to Interrupt before Connect.
func (d *Device) Port() uint32 { return d.port }

// MAC returns the interface's MAC address (the frontend's mac key).
func (d *Device) MAC() [6]byte { return d.mac }

// Connect publishes the rings and the features and waits until the backend is connected. Then
// a goroutine watches the backend: when it closes the device, the device goes down.
func (d *Device) Connect() error {
	fe := d.fe
	err := fe.Publish(xenbus.Connected,
		"tx-ring-ref", strconv.FormatUint(uint64(d.ringRef[0]), 10),
		"rx-ring-ref", strconv.FormatUint(uint64(d.ringRef[1]), 10),
		"event-channel", strconv.FormatUint(uint64(d.port), 10),
		"request-rx-copy", "1",
		"feature-rx-notify", "1",
		"feature-no-csum-offload", "1",
		"feature-ipv6-csum-offload", "0",
		"feature-sg", "0",
		"feature-gso-tcpv4", "0",
		"feature-gso-tcpv6", "0",
	)
	if err != nil {
		return fmt.Errorf("netfront: %v: %w", fe, err)
	}
	if _, err := fe.WaitBackend(ConnectTimeout, xenbus.Connected); err != nil {
		return fmt.Errorf("netfront: %v: %w", fe, err)
	}
	fe.Events.Notify(d.port) // the receive requests are there
	d.life.Watch(ConnectTimeout)
	return nil
}

// ErrClosed is the error of a device that Close took down.
var ErrClosed = errors.New("netfront: device closed")

// Close takes the device down (ErrClosed) and stops watching the backend. It does not
// disconnect from the backend.
func (d *Device) Close() { d.life.Close(ErrClosed) }

// fail takes the device down with err (the first reason wins).
func (d *Device) fail(err error) { d.life.Fail(err) }

// Err returns why the device is down, or nil.
func (d *Device) Err() error { return d.life.Err() }

// Down returns a channel that is closed when the device goes down (Err says why).
func (d *Device) Down() <-chan struct{} { return d.life.Down() }

// Interrupt consumes the receive responses, delivers their frames and posts the slots again,
// then reaps the transmit responses. Call it when the event channel fires.
func (d *Device) Interrupt() {
	d.rxMu.Lock()
	err := d.consumeRx()
	d.rxMu.Unlock()
	if err == nil {
		d.txMu.Lock()
		err = d.reapTx()
		d.txMu.Unlock()
	}
	if err != nil {
		d.fail(fmt.Errorf("netfront: %v: %w", d.fe, err))
	}
}

func (d *Device) consumeRx() error {
	if d.Err() != nil {
		return nil
	}
	for {
		n, err := d.rx.Pending()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			d.rxSlot()
			d.postRx()
		}
		if d.rx.Push() {
			d.fe.Events.Notify(d.port)
		}
		if !d.rx.FinalCheck() {
			return nil
		}
	}
}

// rxSlot consumes the receive ring entry at RspCons: a response, or an extra-info entry or the
// continuation of a frame being dropped (rxExtra, rxCont say which comes next).
func (d *Device) rxSlot() {
	r := d.rx.Response()
	slot := d.rx.RspCons & (RingSize - 1)
	d.rx.RspCons++
	if d.rxExtra {
		// struct netif_extra_info: u8 type, u8 flags; more follow while flags has MORE.
		d.rxExtra = hw.Load8(r+1)&extraFlagMore != 0
		return
	}
	id := hw.Load16(r + rxRspID)
	off := int(hw.Load16(r + rxRspOffset))
	flags := hw.Load16(r + rxRspFlags)
	status := int16(hw.Load16(r + rxRspStatus))
	cont := d.rxCont
	d.rxCont = flags&RxMoreData != 0
	d.rxExtra = flags&RxExtraInfo != 0
	switch {
	case cont:
		// The rest of a frame already dropped.
	case flags&(RxMoreData|RxExtraInfo) != 0:
		// A frame across slots or with GSO information: neither feature-sg nor GSO was
		// offered, so drop it.
		d.RxMultiSlot++
		d.RxDropped++
	case uint32(id) != slot:
		d.BadResponses++
	case status <= 0:
		d.RxErrors++
	case off+int(status) > pageSize || int(status) > MaxFrame || int(status) < MinFrame:
		d.BadResponses++
	case flags&RxCsumBlank != 0:
		d.RxCsumBlank++
		d.RxDropped++
	default:
		d.RxFrames++
		d.receive(d.mem.Bytes(d.rxPage[slot]+uintptr(off), int(status)))
	}
}

// reapTx frees the buffers of the transmit responses. The caller holds txMu.
func (d *Device) reapTx() error {
	n, err := d.tx.Pending()
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		r := d.tx.Response()
		d.tx.RspCons++
		id := hw.Load16(r + txRspID)
		status := int16(hw.Load16(r + txRspStatus))
		if status == StatusNull {
			continue // a slot the backend filled for an extra-info request: none are sent
		}
		if int(id) >= RingSize || !d.txBusy[id] {
			d.BadResponses++
			continue
		}
		d.txBusy[id] = false
		d.txFree = append(d.txFree, id)
		if status != StatusOK {
			d.TxErrors++
		}
	}
	return nil
}

// Transmit sends one Ethernet frame made of the concatenation of parts (no FCS).
func (d *Device) Transmit(parts ...[]byte) error {
	if err := d.Err(); err != nil {
		return err
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	if size > MaxFrame {
		d.TxDropped++
		return ErrTooLarge
	}
	if size < MinFrame {
		d.TxDropped++
		return ErrTooSmall
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if len(d.txFree) == 0 || d.tx.Free() == 0 {
		if err := d.reapTx(); err != nil {
			d.fail(fmt.Errorf("netfront: %v: %w", d.fe, err))
			return err
		}
		if len(d.txFree) == 0 || d.tx.Free() == 0 {
			d.TxDropped++
			return ErrNoBuffer
		}
	}
	id := d.txFree[len(d.txFree)-1]
	d.txFree = d.txFree[:len(d.txFree)-1]
	b := d.mem.Bytes(d.txAddr[id], size)
	off := 0
	for _, p := range parts {
		off += copy(b[off:], p)
	}
	r := d.tx.Request()
	hw.Store32(r+txGref, d.txRef[id])
	hw.Store16(r+txOffset, uint16(d.txAddr[id]&(pageSize-1)))
	hw.Store16(r+txFlags, 0) // complete checksums, one slot
	hw.Store16(r+txID, id)
	hw.Store16(r+txSize, uint16(size))
	d.tx.ReqProdPvt++
	d.txBusy[id] = true
	d.TxFrames++
	if d.tx.Push() {
		d.fe.Events.Notify(d.port)
	}
	return nil
}
