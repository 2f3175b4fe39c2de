package netstack

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	vnet "github.com/unikgen/unikgen/drivers/virtio/net"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/drivers/virtio/virtiotest"
)

// rxPath is a virtio-net driver on an in-memory device, attached to a stack with a TCP listener
// and a UDP socket: the whole receive path of a kernel, on the host.
type rxPath struct {
	mu  sync.Mutex
	dev *virtiotest.Device
	drv *vnet.Device
	s   *stack.Stack
}

var (
	rxOnce sync.Once
	rx     *rxPath
)

var guestMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func newRxPath(t testing.TB) *rxPath {
	rxOnce.Do(func() {
		cfg := make([]byte, 12)
		copy(cfg, guestMAC[:])
		fd := &virtiotest.Device{Mem: &virtiotest.Memory{}, Type: spec.DeviceNet,
			Offered: spec.FeatureVersion1 | vnet.FeatureMAC, Cfg: cfg}
		var deliver func([]byte)
		drv, err := vnet.New(fd, fd.Mem, func(f []byte) { deliver(f) })
		if err != nil {
			panic(err)
		}
		s, err := NewStack()
		if err != nil {
			panic(err)
		}
		ep, d := NewLink(drv, vnet.MaxFrame)
		deliver = d
		if err := s.CreateNIC(2, ep); err != nil {
			panic(err)
		}
		if err := addAddress(s, 2, netip.MustParsePrefix("10.0.2.15/24")); err != nil {
			panic(err)
		}
		s.SetRouteTable(append(s.GetRouteTable(), tcpip.Route{Destination: subnet(netip.MustParsePrefix("10.0.2.0/24")), NIC: 2}))
		var wq waiter.Queue
		l, _ := s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
		l.Bind(tcpip.FullAddress{Port: 80})
		l.Listen(10)
		u, _ := s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
		u.Bind(tcpip.FullAddress{Port: 53})
		rx = &rxPath{dev: fd, drv: drv, s: s}
	})
	return rx
}

// receive makes the device deliver frame and the driver process it.
func (p *rxPath) receive(frame []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	head, chain, ok := p.dev.Pop(0)
	if !ok {
		panic("no receive buffer")
	}
	b := p.dev.Bytes(chain[0])
	n := copy(b[vnet.HeaderSize:], frame)
	p.dev.Push(0, head, vnet.HeaderSize+n)
	p.drv.Interrupt()
	for { // let the device use what the stack sent back
		h, _, ok := p.dev.Pop(1)
		if !ok {
			break
		}
		p.dev.Push(1, h, 0)
	}
}

// frame builds an Ethernet frame to the guest with an IPv4 packet of protocol proto.
func frame(proto uint8, payload []byte) []byte {
	f := make([]byte, header.EthernetMinimumSize+header.IPv4MinimumSize+len(payload))
	eth := header.Ethernet(f)
	eth.Encode(&header.EthernetFields{SrcAddr: "\x52\x55\x0a\x00\x02\x02", DstAddr: tcpip.LinkAddress(guestMAC[:]), Type: header.IPv4ProtocolNumber})
	ip := header.IPv4(f[header.EthernetMinimumSize:])
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(header.IPv4MinimumSize + len(payload)), TTL: 64, Protocol: proto,
		SrcAddr: tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), DstAddr: tcpip.AddrFrom4([4]byte{10, 0, 2, 15})})
	ip.SetChecksum(^ip.CalculateChecksum())
	copy(f[header.EthernetMinimumSize+header.IPv4MinimumSize:], payload)
	return f
}

// FuzzReceive feeds arbitrary frames through the virtio-net driver into the stack: nothing a
// peer sends may crash the kernel. Run it for longer with
// go test ./services/netstack -fuzz FuzzReceive -fuzztime 5m.
func FuzzReceive(f *testing.F) {
	syn := make([]byte, header.TCPMinimumSize)
	header.TCP(syn).Encode(&header.TCPFields{SrcPort: 40000, DstPort: 80, SeqNum: 1, DataOffset: header.TCPMinimumSize, Flags: header.TCPFlagSyn, WindowSize: 65535})
	dgram := make([]byte, header.UDPMinimumSize+12)
	header.UDP(dgram).Encode(&header.UDPFields{SrcPort: 5353, DstPort: 53, Length: uint16(len(dgram))})
	arp := make([]byte, header.EthernetMinimumSize+header.ARPSize)
	header.Ethernet(arp).Encode(&header.EthernetFields{SrcAddr: "\x52\x55\x0a\x00\x02\x02", DstAddr: header.EthernetBroadcastAddress, Type: header.ARPProtocolNumber})
	a := header.ARP(arp[header.EthernetMinimumSize:])
	a.SetIPv4OverEthernet()
	a.SetOp(header.ARPRequest)
	copy(a.HardwareAddressSender(), "\x52\x55\x0a\x00\x02\x02")
	copy(a.ProtocolAddressSender(), []byte{10, 0, 2, 2})
	copy(a.ProtocolAddressTarget(), []byte{10, 0, 2, 15})
	for _, seed := range [][]byte{frame(6, syn), frame(17, dgram), frame(1, []byte{8, 0, 0, 0, 0, 1, 0, 1}), arp,
		frame(6, syn[:7]), make([]byte, 14), {}} {
		f.Add(seed)
	}
	p := newRxPath(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > vnet.MaxFrame {
			b = b[:vnet.MaxFrame]
		}
		p.receive(b)
	})
}

// TestReceiveReplies checks the fuzz fixture itself: a SYN to the listener gets a SYN-ACK back
// through the driver, so the frames the fuzzer mutates reach the stack.
func TestReceiveReplies(t *testing.T) {
	p := newRxPath(t)
	before := p.drv.TxFrames
	syn := make([]byte, header.TCPMinimumSize)
	header.TCP(syn).Encode(&header.TCPFields{SrcPort: 40001, DstPort: 80, SeqNum: 1, DataOffset: header.TCPMinimumSize, Flags: header.TCPFlagSyn, WindowSize: 65535})
	fr := frame(6, syn)
	tcpHdr := header.TCP(fr[header.EthernetMinimumSize+header.IPv4MinimumSize:])
	xsum := header.PseudoHeaderChecksum(tcp.ProtocolNumber, tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), tcpip.AddrFrom4([4]byte{10, 0, 2, 15}), uint16(len(syn)))
	tcpHdr.SetChecksum(^tcpHdr.CalculateChecksum(xsum))
	p.receive(fr)
	for deadline := time.Now().Add(5 * time.Second); p.drv.TxFrames == before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // the TCP processor answers in its own goroutine
	}
	if p.drv.TxFrames == before {
		// The reply may first need the peer's MAC: then an ARP request went out instead, which
		// is a frame too.
		t.Fatalf("no frame sent in answer to a SYN (rx %d, dropped %d)", p.drv.RxFrames, p.drv.RxDropped)
	}
}
