package netstack

// This file implements the netstack link endpoint of an Ethernet device driver: frames from the
// driver go to the stack, packets from the stack go out through the driver. The endpoint is
// wrapped in link/ethernet, which adds and parses the 14-byte Ethernet header and makes ARP and
// NDP run.

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// A Device is an Ethernet device driver: virtio-net, Xen's netfront.
type Device interface {
	// MAC is the device's address.
	MAC() [6]byte
	// Transmit sends one frame made of the concatenation of parts (Ethernet header first, no
	// FCS).
	Transmit(parts ...[]byte) error
}

// linkEndpoint is a stack.LinkEndpoint over a Device, below link/ethernet: MTU and frames
// include the Ethernet header, which the wrapper handles.
type linkEndpoint struct {
	dev        Device
	mtu        uint32
	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	onClose    func()
}

// NewLink returns the link endpoint for dev with the given largest frame (Ethernet header
// included, FCS not), and the function that delivers a received frame to it.
func NewLink(dev Device, frameSize uint32) (stack.LinkEndpoint, func(frame []byte)) {
	l := &linkEndpoint{dev: dev, mtu: frameSize}
	return ethernet.New(l), l.deliver
}

// deliver hands a received frame to the stack. The stack copies it, so the driver may reuse
// its buffer when deliver returns.
func (l *linkEndpoint) deliver(frame []byte) {
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	if d == nil || len(frame) < header.EthernetMinimumSize {
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	d.DeliverNetworkPacket(0, pkt) // link/ethernet reads the EtherType from the frame
	pkt.DecRef()
}

func (l *linkEndpoint) MTU() uint32                      { return l.mtu }
func (l *linkEndpoint) SetMTU(mtu uint32)                { l.mtu = mtu }
func (l *linkEndpoint) MaxHeaderLength() uint16          { return 0 }
func (l *linkEndpoint) SetLinkAddress(tcpip.LinkAddress) {}

func (l *linkEndpoint) LinkAddress() tcpip.LinkAddress {
	mac := l.dev.MAC()
	return tcpip.LinkAddress(mac[:])
}

func (l *linkEndpoint) Capabilities() stack.LinkEndpointCapabilities { return 0 }

func (l *linkEndpoint) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	l.mu.Unlock()
}

func (l *linkEndpoint) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

func (l *linkEndpoint) Wait()                                   {}
func (l *linkEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *linkEndpoint) AddHeader(*stack.PacketBuffer)           {}
func (l *linkEndpoint) ParseHeader(*stack.PacketBuffer) bool    { return true }
func (l *linkEndpoint) SetOnCloseAction(f func())               { l.onClose = f }

func (l *linkEndpoint) Close() {
	if l.onClose != nil {
		l.onClose()
	}
}

// WritePackets sends the packets through the device. A packet the device refuses (its queue is
// full) is dropped, as a full NIC queue drops on Linux; the driver counts it and TCP
// retransmits.
func (l *linkEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	for _, pkt := range pkts.AsSlice() {
		l.dev.Transmit(pkt.AsSlices()...)
	}
	return pkts.Len(), nil
}
