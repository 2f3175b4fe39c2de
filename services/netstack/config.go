package netstack

// This file implements the network configuration: configure-time settings from the composition
// root (config.Kernel), boot-time overrides from the kernel command line's environment, and
// their application to an interface, statically or by DHCP.

import (
	"fmt"
	"net/netip"
	"strings"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Config is the network configuration of the first interface. Zero values mean DHCPv4 and no
// IPv6. Every field can be overridden at boot by an environment variable of the kernel command
// line (docs/network.md):
//
//	UNIKGEN_NET_IPV4=10.0.2.15/24 (or "dhcp")   UNIKGEN_NET_GATEWAY4=10.0.2.2
//	UNIKGEN_NET_IPV6=fd00::15/64                UNIKGEN_NET_GATEWAY6=fd00::1
//	UNIKGEN_NET_DNS=10.0.2.3,1.1.1.1
type Config struct {
	Drivers  []Driver
	IPv4     string // address and prefix length; "" for DHCPv4
	Gateway4 string
	IPv6     string
	Gateway6 string
	DNS      []string
}

// Boot-time environment variables.
const (
	EnvIPv4     = "UNIKGEN_NET_IPV4"
	EnvGateway4 = "UNIKGEN_NET_GATEWAY4"
	EnvIPv6     = "UNIKGEN_NET_IPV6"
	EnvGateway6 = "UNIKGEN_NET_GATEWAY6"
	EnvDNS      = "UNIKGEN_NET_DNS"
)

// settings is a resolved, parsed configuration.
type settings struct {
	dhcp     bool
	ipv4     netip.Prefix
	gateway4 netip.Addr
	ipv6     netip.Prefix
	gateway6 netip.Addr
	dns      []netip.Addr
	source   string // "static", "dhcp", for the log line
}

// resolve applies the boot-time environment (getenv) to c and parses it. Errors name the
// setting.
func (c Config) resolve(getenv func(string) string) (settings, error) {
	pick := func(env, conf string) (string, string) {
		if v := getenv(env); v != "" {
			return v, env
		}
		return conf, "config.Kernel"
	}
	var st settings
	v4, from := pick(EnvIPv4, c.IPv4)
	switch {
	case v4 == "" || strings.EqualFold(v4, "dhcp"):
		st.dhcp, st.source = true, "dhcp"
	default:
		p, err := netip.ParsePrefix(v4)
		if err != nil || !p.Addr().Is4() {
			return st, fmt.Errorf("%s: IPv4 address %q: want an address with a prefix length, like 10.0.2.15/24", from, v4)
		}
		st.ipv4, st.source = p, "static"
	}
	if g, from := pick(EnvGateway4, c.Gateway4); g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil || !a.Is4() {
			return st, fmt.Errorf("%s: IPv4 gateway %q is not an IPv4 address", from, g)
		}
		st.gateway4 = a
	}
	if v6, from := pick(EnvIPv6, c.IPv6); v6 != "" {
		p, err := netip.ParsePrefix(v6)
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
			return st, fmt.Errorf("%s: IPv6 address %q: want an address with a prefix length, like fd00::15/64", from, v6)
		}
		st.ipv6 = p
	}
	if g, from := pick(EnvGateway6, c.Gateway6); g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil || !a.Is6() {
			return st, fmt.Errorf("%s: IPv6 gateway %q is not an IPv6 address", from, g)
		}
		st.gateway6 = a
	}
	dns := c.DNS
	from = "config.Kernel"
	if v := getenv(EnvDNS); v != "" {
		dns, from = strings.Split(v, ","), EnvDNS
	}
	for _, d := range dns {
		a, err := netip.ParseAddr(strings.TrimSpace(d))
		if err != nil {
			return st, fmt.Errorf("%s: DNS server %q is not an IP address", from, d)
		}
		st.dns = append(st.dns, a)
	}
	return st, nil
}

// configure gives interface nic its addresses and the stack its routes.
func configure(s *stack.Stack, nic tcpip.NICID, st settings) error {
	if st.dhcp {
		lease, err := dhcp(s, nic)
		if err != nil {
			return err
		}
		st.ipv4 = lease.prefix
		if !st.gateway4.IsValid() {
			st.gateway4 = lease.router
		}
		if len(st.dns) == 0 {
			st.dns = lease.dns
		}
		defer func() { go renew(s, nic, lease) }()
	}
	if err := addAddress(s, nic, st.ipv4); err != nil {
		return err
	}
	routes := s.GetRouteTable()
	routes = append(routes, tcpip.Route{Destination: subnet(st.ipv4), NIC: nic})
	if st.gateway4.IsValid() {
		routes = append(routes, tcpip.Route{Destination: subnet(netip.MustParsePrefix("0.0.0.0/0")),
			Gateway: tcpip.AddrFrom4(st.gateway4.As4()), NIC: nic})
	}
	if st.ipv6.IsValid() {
		if err := addAddress(s, nic, st.ipv6); err != nil {
			return err
		}
		routes = append(routes, tcpip.Route{Destination: subnet(st.ipv6), NIC: nic})
		if st.gateway6.IsValid() {
			routes = append(routes, tcpip.Route{Destination: subnet(netip.MustParsePrefix("::/0")),
				Gateway: tcpip.AddrFrom16(st.gateway6.As16()), NIC: nic})
		}
	}
	s.SetRouteTable(routes)
	setResolver(st.dns)
	msg := fmt.Sprintf("eth0 %v", st.ipv4)
	if st.gateway4.IsValid() {
		msg += fmt.Sprintf(" via %v", st.gateway4)
	}
	if st.ipv6.IsValid() {
		msg += fmt.Sprintf(", %v", st.ipv6)
	}
	msg += " (" + st.source + ")"
	if len(st.dns) > 0 {
		msg += fmt.Sprintf(", dns %v", st.dns)
	}
	logf("%s", msg)
	return nil
}
