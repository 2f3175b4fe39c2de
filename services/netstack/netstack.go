// Package netstack is the library OS's network component: gVisor's netstack (IPv4, IPv6, ARP,
// ICMP, TCP, UDP) with a loopback interface and the machine's network devices, configured
// statically or by DHCP, serving the program's sockets (services/socket) through the relay
// server (services/relay).
//
// It runs in program context: the composition root starts it during package initialisation, so
// that the program's own code finds the network up. docs/network.md has the design.
package netstack

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/unikgen/unikgen/services/relay"
	"github.com/unikgen/unikgen/services/socket"
)

// The loopback interface.
const loopbackNIC tcpip.NICID = 1

// NewStack returns a stack with the protocols the library OS serves and a loopback interface
// holding 127.0.0.1/8 and ::1/128.
func NewStack() (*stack.Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
	})
	if err := s.CreateNIC(loopbackNIC, loopback.New()); err != nil {
		return nil, fmt.Errorf("loopback interface: %v", err)
	}
	for _, p := range []string{"127.0.0.1/8", "::1/128"} {
		if err := addAddress(s, loopbackNIC, netip.MustParsePrefix(p)); err != nil {
			return nil, err
		}
	}
	s.SetRouteTable([]tcpip.Route{
		{Destination: subnet(netip.MustParsePrefix("127.0.0.0/8")), NIC: loopbackNIC},
		{Destination: subnet(netip.MustParsePrefix("::1/128")), NIC: loopbackNIC},
	})
	return s, nil
}

// addAddress assigns the address and prefix p to nic.
func addAddress(s *stack.Stack, nic tcpip.NICID, p netip.Prefix) error {
	proto := ipv4.ProtocolNumber
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	pa := tcpip.ProtocolAddress{
		Protocol:          proto,
		AddressWithPrefix: tcpip.AddrFromSlice(p.Addr().AsSlice()).WithPrefix(),
	}
	pa.AddressWithPrefix.PrefixLen = p.Bits()
	if err := s.AddProtocolAddress(nic, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("address %v on interface %d: %v", p, nic, err)
	}
	return nil
}

// subnet returns the netstack subnet of prefix p.
func subnet(p netip.Prefix) tcpip.Subnet {
	p = p.Masked()
	s, err := tcpip.NewSubnet(tcpip.AddrFromSlice(p.Addr().AsSlice()), tcpip.MaskFromBytes(prefixMask(p)))
	if err != nil {
		panic(err) // a masked prefix always makes a subnet
	}
	return s
}

func prefixMask(p netip.Prefix) []byte {
	m := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// A NIC is a network interface that a driver brought up.
type NIC struct {
	Name string // where the device is, for messages
	Link stack.LinkEndpoint
	MAC  [6]byte
	// Down, when not nil, is closed when the device goes away for good (a Xen backend that
	// closed it); Err then says why. The stack then drops the interface (see down).
	Down <-chan struct{}
	Err  func() error
}

// A Driver finds the machine's network devices of one kind, starts them with device memory and
// interrupt lines of the relay server, and returns them.
type Driver func(srv *relay.Server) ([]NIC, error)

// Start brings the network up: the stack, the relay server serving sockets, the interfaces of
// cfg's drivers, and the first interface's configuration (cfg, overridden by the boot-time
// environment; see Config).
func Start(cfg Config) error {
	s, err := NewStack()
	if err != nil {
		return err
	}
	srv := relay.Default()
	srv.Handle(syscall.SYS_SOCKET, socket.New(s, srv).Create)
	srv.Start()

	var nics []NIC
	for _, d := range cfg.Drivers {
		n, err := d(srv)
		if err != nil {
			logf("network device: %v", err)
		}
		nics = append(nics, n...)
	}
	if len(nics) == 0 {
		return nil // only the loopback interface (a generic kernel of a program without sockets)
	}
	for i, n := range nics {
		id := tcpip.NICID(i + 2)
		name := fmt.Sprintf("eth%d", i)
		if err := s.CreateNICWithOptions(id, n.Link, stack.NICOptions{Name: name}); err != nil {
			return fmt.Errorf("interface %s: %v", n.Name, err)
		}
		if n.Down != nil {
			go func() {
				<-n.Down
				var err error
				if n.Err != nil {
					err = n.Err()
				}
				down(s, id, name+" ("+n.Name+")", err)
			}()
		}
	}
	c, err := cfg.resolve(os.Getenv)
	if err != nil {
		return err
	}
	return configure(s, 2, c)
}

// down takes interface id out of the stack after its device went away: its routes go, so new
// connections fail at once (ENETUNREACH), and its TCP connections are aborted (ECONNABORTED),
// which could otherwise only wait for TCP's retransmission timeouts. Listening sockets stay.
func down(s *stack.Stack, id tcpip.NICID, name string, why error) {
	logf("%s is down: %v", name, why)
	var addrs []tcpip.Address
	if info, ok := s.NICInfo()[id]; ok {
		for _, a := range info.ProtocolAddresses {
			addrs = append(addrs, a.AddressWithPrefix.Address)
		}
	}
	s.RemoveNIC(id)
	for _, te := range s.RegisteredEndpoints() {
		ep, ok := te.(tcpip.Endpoint)
		if !ok {
			continue
		}
		info, ok := ep.Info().(*stack.TransportEndpointInfo)
		if !ok || info.TransProto != tcp.ProtocolNumber {
			continue
		}
		local, err := ep.GetLocalAddress()
		if err != nil {
			continue
		}
		if _, err := ep.GetRemoteAddress(); err != nil {
			continue // not connected: a listener
		}
		for _, a := range addrs {
			if local.Addr == a {
				ep.Abort()
				break
			}
		}
	}
}

// logf prints a message of the network component on standard error (the console).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "unikgen: "+format+"\n", args...)
}
