package plan

import (
	"fmt"
	"github.com/unikgen/unikgen/config"
	"net/netip"
)

// Network is the configure-time network configuration of the first interface (config.Kernel's
// IPv4, Gateway4, IPv6, Gateway6 and DNS). Empty fields mean DHCPv4 and no IPv6; each can be
// overridden at boot (services/netstack.Config).
type Network struct {
	IPv4     string   `json:"ipv4,omitempty"`
	Gateway4 string   `json:"gateway4,omitempty"`
	IPv6     string   `json:"ipv6,omitempty"`
	Gateway6 string   `json:"gateway6,omitempty"`
	DNS      []string `json:"dns,omitempty"`
}

// networkOf returns the network configuration of k.
func networkOf(k config.Kernel) Network {
	return Network{IPv4: k.IPv4, Gateway4: k.Gateway4, IPv6: k.IPv6, Gateway6: k.Gateway6, DNS: k.DNS}
}

// check validates the addresses; errors name the field.
func (n Network) check() error {
	prefix := func(field, v string, six bool) error {
		if v == "" {
			return nil
		}
		p, err := netip.ParsePrefix(v)
		if err != nil || p.Addr().Is6() != six || p.Addr().Is4In6() {
			ex := "10.0.2.15/24"
			if six {
				ex = "fd00::15/64"
			}
			return &Error{field, fmt.Sprintf("%q: want an address with its prefix length, like %q", v, ex)}
		}
		return nil
	}
	addr := func(field, v string, six bool) error {
		if v == "" {
			return nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil || a.Is6() != six || a.Is4In6() {
			return &Error{field, fmt.Sprintf("%q is not an IPv%s address", v, map[bool]string{false: "4", true: "6"}[six])}
		}
		return nil
	}
	if err := prefix("IPv4", n.IPv4, false); err != nil {
		return err
	}
	if err := addr("Gateway4", n.Gateway4, false); err != nil {
		return err
	}
	if err := prefix("IPv6", n.IPv6, true); err != nil {
		return err
	}
	if err := addr("Gateway6", n.Gateway6, true); err != nil {
		return err
	}
	if n.Gateway6 != "" && n.IPv6 == "" {
		return &Error{"Gateway6", "an IPv6 gateway needs an IPv6 address (IPv6)"}
	}
	for i, d := range n.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			return &Error{fmt.Sprintf("DNS[%d]", i), fmt.Sprintf("%q is not an IP address", d)}
		}
	}
	return nil
}
