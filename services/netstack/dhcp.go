package netstack

// This file implements the DHCPv4 client (RFC 2131): DISCOVER, OFFER, REQUEST, ACK over a netstack
// UDP endpoint, with the messages of github.com/insomniacslk/dhcp/dhcpv4, and renewal at T1.
// The BOOTP broadcast flag is set: without it servers unicast the OFFER to the offered address,
// which the interface does not hold yet, and netstack drops it.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// A lease is what a DHCP server gave.
type lease struct {
	prefix netip.Prefix
	router netip.Addr
	dns    []netip.Addr
	time   time.Duration
	ack    *dhcpv4.DHCPv4
}

// DHCP timing: each message is retried with a doubling timeout, from dhcpFirst, dhcpTries times.
var (
	dhcpFirst = 500 * time.Millisecond
	dhcpTries = 5
)

// dhcp obtains a lease for nic. While it runs the interface has the address 0.0.0.0 and a route
// to the whole IPv4 space, so that the broadcasts go out and the replies come in.
func dhcp(s *stack.Stack, nic tcpip.NICID) (*lease, error) {
	unspec := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{}), PrefixLen: 0}}
	if err := s.AddProtocolAddress(nic, unspec, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("dhcp: %v", err)
	}
	defer s.RemoveAddress(nic, unspec.AddressWithPrefix.Address)
	routes := s.GetRouteTable()
	s.SetRouteTable(append(routes, tcpip.Route{Destination: header0(), NIC: nic}))
	defer s.SetRouteTable(routes)

	conn, err := dhcpConn(s, nic)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	mac := net.HardwareAddr(s.NICInfo()[nic].LinkAddress)

	discover, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true))
	if err != nil {
		return nil, err
	}
	offer, err := exchange(conn, discover, dhcpv4.MessageTypeOffer)
	if err != nil {
		return nil, fmt.Errorf("dhcp: no offer on eth0 (%v); give a static address with %s", err, EnvIPv4)
	}
	request, err := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithBroadcast(true))
	if err != nil {
		return nil, err
	}
	ack, err := exchange(conn, request, dhcpv4.MessageTypeAck)
	if err != nil {
		return nil, fmt.Errorf("dhcp: no acknowledgement from %v (%v)", offer.ServerIdentifier(), err)
	}
	return leaseOf(ack)
}

// header0 is the subnet 0.0.0.0/0.
func header0() tcpip.Subnet { return subnet(netip.MustParsePrefix("0.0.0.0/0")) }

// dhcpConn opens a UDP socket on port 68 of nic, broadcasts allowed.
func dhcpConn(s *stack.Stack, nic tcpip.NICID) (*gonet.UDPConn, error) {
	var wq waiter.Queue
	ep, e := s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if e != nil {
		return nil, fmt.Errorf("dhcp: %v", e)
	}
	ep.SocketOptions().SetBroadcast(true)
	if e := ep.Bind(tcpip.FullAddress{NIC: nic, Port: dhcpv4.ClientPort}); e != nil {
		ep.Close()
		return nil, fmt.Errorf("dhcp: bind port %d: %v", dhcpv4.ClientPort, e)
	}
	return gonet.NewUDPConn(&wq, ep), nil
}

// exchange broadcasts msg and returns the first reply of type want to it, retrying with a
// doubling timeout.
func exchange(conn *gonet.UDPConn, msg *dhcpv4.DHCPv4, want dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	dst := &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ServerPort}
	buf := make([]byte, 1500)
	timeout := dhcpFirst
	for try := 0; try < dhcpTries; try++ {
		if _, err := conn.WriteTo(msg.ToBytes(), dst); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(timeout)
		conn.SetReadDeadline(deadline)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			reply, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || reply.TransactionID != msg.TransactionID || reply.OpCode != dhcpv4.OpcodeBootReply {
				continue // someone else's, or garbage
			}
			switch reply.MessageType() {
			case want:
				return reply, nil
			case dhcpv4.MessageTypeNak:
				return nil, fmt.Errorf("refused by %v", reply.ServerIdentifier())
			}
		}
		timeout *= 2
	}
	return nil, context.DeadlineExceeded
}

func leaseOf(ack *dhcpv4.DHCPv4) (*lease, error) {
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || ip.IsUnspecified() {
		return nil, errors.New("dhcp: the acknowledgement holds no address")
	}
	bits := 24
	if m := ack.SubnetMask(); m != nil {
		bits, _ = m.Size()
	}
	l := &lease{prefix: netip.PrefixFrom(ip, bits), time: ack.IPAddressLeaseTime(time.Hour), ack: ack}
	if r := ack.Router(); len(r) > 0 {
		l.router, _ = netip.AddrFromSlice(r[0].To4())
	}
	for _, d := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(d.To4()); ok {
			l.dns = append(l.dns, a)
		}
	}
	return l, nil
}

// renew keeps the lease: at half its time (T1) it asks the server again, and again at half of
// what is left when that fails.
func renew(s *stack.Stack, nic tcpip.NICID, l *lease) {
	wait := l.time / 2
	for {
		time.Sleep(wait)
		conn, err := dhcpConn(s, nic)
		if err != nil {
			logf("dhcp renewal: %v", err)
			wait /= 2
			continue
		}
		req, err := dhcpv4.NewRenewFromAck(l.ack, dhcpv4.WithBroadcast(true))
		var ack *dhcpv4.DHCPv4
		if err == nil {
			ack, err = exchange(conn, req, dhcpv4.MessageTypeAck)
		}
		conn.Close()
		if err != nil {
			logf("dhcp renewal of %v: %v", l.prefix, err)
			if wait /= 2; wait < time.Minute {
				wait = time.Minute
			}
			continue
		}
		if nl, err := leaseOf(ack); err != nil || nl.prefix != l.prefix {
			logf("dhcp renewal did not confirm %v: keeping it", l.prefix)
		}
		l.ack, l.time = ack, ack.IPAddressLeaseTime(time.Hour)
		wait = l.time / 2
	}
}
