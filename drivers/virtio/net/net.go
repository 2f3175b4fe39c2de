// Package net drives a virtio network device (VIRTIO 1.2 §5.1): one receive and one transmit
// queue, Ethernet frames behind the 12-byte virtio_net_hdr_v1, the MAC address and link status
// from the configuration.
//
// It negotiates no offload: without VIRTIO_NET_F_GUEST_CSUM every received frame carries full
// checksums (§5.1.6.4), and without VIRTIO_NET_F_CSUM the driver sends full checksums (netstack
// computes them). So it works the same whether the backend offers offloads (a tap with
// vnet_hdr) or not (QEMU's user networking). Without VIRTIO_NET_F_MRG_RXBUF each receive buffer
// holds a whole frame (§5.1.6.3.1): 1526 bytes, here 2048.
//
// The driver runs in program context on the relay server: Interrupt reaps the queues and hands
// frames to the receive callback; Transmit may be called from any goroutine.
package net

import (
	"errors"
	"fmt"
	"sync"

	"github.com/unikgen/unikgen/drivers/virtio"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
)

// Feature bits (§5.1.3).
const (
	FeatureCSUM      = 1 << 0
	FeatureGuestCSUM = 1 << 1
	FeatureMTU       = 1 << 3
	FeatureMAC       = 1 << 5
	FeatureMrgRxbuf  = 1 << 15
	FeatureStatus    = 1 << 16
)

// Configuration layout (§5.1.4).
const (
	configMAC    = 0
	configStatus = 6
	configMTU    = 10

	statusLinkUp = 1
)

// The header in front of every frame (§5.1.6), with VIRTIO_F_VERSION_1 always 12 bytes:
//
//	+0 u8 flags (NEEDS_CSUM 1, DATA_VALID 2)   +1 u8 gso_type (NONE 0)
//	+2 le16 hdr_len  +4 le16 gso_size  +6 le16 csum_start  +8 le16 csum_offset
//	+10 le16 num_buffers
const HeaderSize = 12

// Queue indices (§5.1.2) and sizes.
const (
	receiveQueue  = 0
	transmitQueue = 1
	queueSize     = 128
	bufSize       = 2048 // two buffers a page
	// MaxFrame is the largest frame (without the virtio header) the driver sends or receives:
	// 1514 bytes of Ethernet, without the FCS.
	MaxFrame = 1514
)

// Device is a virtio network device.
type Device struct {
	dev     *virtio.Device
	rx, tx  *virtio.Queue
	mac     [6]byte
	rxBufs  []uintptr // by descriptor head
	txMu    sync.Mutex
	txFree  []uintptr // free transmit buffers
	txBufs  map[uint16]uintptr
	receive func(frame []byte)

	// Counters.
	RxFrames, TxFrames, RxDropped, TxDropped uint64
}

// New initialises the network device on t, using mem for its rings and buffers. Frames
// received are passed to receive, on the goroutine that calls Interrupt; the slice is valid
// only during the call.
func New(t virtio.Transport, mem virtio.Memory, receive func(frame []byte)) (*Device, error) {
	if t.DeviceID() != spec.DeviceNet {
		return nil, fmt.Errorf("%v: device type %d is not a network device", t, t.DeviceID())
	}
	vd, err := virtio.Init(t, mem, FeatureMAC|FeatureStatus)
	if err != nil {
		return nil, err
	}
	d := &Device{dev: vd, receive: receive, txBufs: map[uint16]uintptr{}}
	if vd.Features&FeatureMAC != 0 {
		for i := range d.mac {
			d.mac[i] = t.Config8(configMAC + i)
		}
	} else {
		d.mac = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56} // a locally administered default
	}
	if d.rx, err = vd.Queue(receiveQueue, queueSize); err != nil {
		return nil, err
	}
	if d.tx, err = vd.Queue(transmitQueue, queueSize); err != nil {
		return nil, err
	}
	d.tx.SetInterrupts(false) // transmitted buffers are reaped on the next Transmit
	d.rxBufs = make([]uintptr, d.rx.N)
	if err := d.allocBuffers(); err != nil {
		return nil, err
	}
	vd.Ready()
	vd.Kick(d.rx)
	return d, nil
}

func (d *Device) allocBuffers() error {
	alloc := func(n int) ([]uintptr, error) {
		var out []uintptr
		for len(out) < n {
			p, err := d.dev.Mem.Alloc()
			if err != nil {
				return nil, fmt.Errorf("virtio-net buffers: %w", err)
			}
			out = append(out, p, p+bufSize)
		}
		return out, nil
	}
	rx, err := alloc(d.rx.N)
	if err != nil {
		return err
	}
	for _, p := range rx {
		head, err := d.rx.Add(virtio.Buffer{Addr: p, Len: bufSize, Write: true})
		if err != nil {
			return err
		}
		d.rxBufs[head] = p
	}
	d.txFree, err = alloc(d.tx.N)
	return err
}

// MAC returns the device's MAC address.
func (d *Device) MAC() [6]byte { return d.mac }

// LinkUp reports the link status (always up without VIRTIO_NET_F_STATUS).
func (d *Device) LinkUp() bool {
	if d.dev.Features&FeatureStatus == 0 {
		return true
	}
	return d.dev.T.Config16(configStatus)&statusLinkUp != 0
}

// Interrupt reaps the queues: it delivers the frames received, gives their buffers back to the
// device, and frees transmitted buffers. Call it when the device's interrupt fires.
func (d *Device) Interrupt() {
	n := 0
	for {
		head, length, ok := d.rx.Used()
		if !ok {
			break
		}
		p := d.rxBufs[head]
		if length > HeaderSize && length <= bufSize {
			d.RxFrames++
			d.receive(d.dev.Mem.Bytes(p+HeaderSize, length-HeaderSize))
		} else {
			d.RxDropped++
		}
		clear(d.dev.Mem.Bytes(p, HeaderSize))
		h, err := d.rx.Add(virtio.Buffer{Addr: p, Len: bufSize, Write: true})
		if err == nil {
			d.rxBufs[h] = p
		}
		n++
	}
	if n > 0 {
		d.dev.Kick(d.rx)
	}
	d.txMu.Lock()
	d.reapTx()
	d.txMu.Unlock()
}

func (d *Device) reapTx() {
	for {
		head, _, ok := d.tx.Used()
		if !ok {
			return
		}
		d.txFree = append(d.txFree, d.txBufs[head])
		delete(d.txBufs, head)
	}
}

// ErrTooLarge and ErrNoBuffer are returned by Transmit.
var (
	ErrTooLarge = errors.New("virtio-net: frame too large")
	ErrNoBuffer = errors.New("virtio-net: transmit queue full")
)

// Transmit sends one Ethernet frame made of the concatenation of parts (without FCS).
func (d *Device) Transmit(parts ...[]byte) error {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	if size > MaxFrame {
		d.TxDropped++
		return ErrTooLarge
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	if len(d.txFree) == 0 {
		d.reapTx()
		if len(d.txFree) == 0 {
			d.TxDropped++
			return ErrNoBuffer
		}
	}
	p := d.txFree[len(d.txFree)-1]
	b := d.dev.Mem.Bytes(p, HeaderSize+size)
	clear(b[:HeaderSize]) // flags 0, GSO_NONE: a fully checksummed frame (§5.1.6.2)
	off := HeaderSize
	for _, part := range parts {
		off += copy(b[off:], part)
	}
	head, err := d.tx.Add(virtio.Buffer{Addr: p, Len: HeaderSize + size})
	if err != nil {
		d.TxDropped++
		return ErrNoBuffer
	}
	d.txFree = d.txFree[:len(d.txFree)-1]
	d.txBufs[head] = p
	d.TxFrames++
	d.dev.Kick(d.tx)
	return nil
}

// Interrupts routes the device's interrupt to relay line line.
func (d *Device) Interrupts(line int, route virtio.RouteFunc) error {
	return d.dev.T.Interrupt(line, route)
}
