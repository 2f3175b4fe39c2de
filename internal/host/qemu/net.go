// This file implements the network device of a boot: QEMU's user networking with port forwards,
// or a tap interface.

package qemu

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Network backends of Config.Net.
const (
	NetNone = "none" // no network device (also "")
	NetUser = "user" // QEMU's user networking (slirp): no root needed; the guest is 10.0.2.15
	// NetTap is the prefix of "tap:IFNAME": a tap interface that already exists (the caller
	// configures the host side: a bridge, dnsmasq, ...).
	NetTap = "tap:"
)

// A Forward is a port of the host forwarded to the guest by user networking.
type Forward struct {
	Proto     string     // "tcp" or "udp"
	Host      netip.Addr // host address to listen on
	HostPort  int
	GuestPort int
}

// ParseForward parses "[HOSTADDR:]HOSTPORT:GUESTPORT[/udp|/tcp]", as `unikgen run -p` takes it.
// The host address defaults to 127.0.0.1: a forwarded port is reachable from this machine only
// unless an address says otherwise.
func ParseForward(s string) (Forward, error) {
	f := Forward{Proto: "tcp", Host: netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	spec := s
	if i := strings.LastIndexByte(spec, '/'); i >= 0 {
		f.Proto = spec[i+1:]
		spec = spec[:i]
		if f.Proto != "tcp" && f.Proto != "udp" {
			return f, fmt.Errorf("-p %s: protocol %q: want tcp or udp", s, f.Proto)
		}
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return f, fmt.Errorf("-p %s: want [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]", s)
	}
	hostPart, guest := spec[:i], spec[i+1:]
	host := hostPart
	if j := strings.LastIndexByte(hostPart, ':'); j >= 0 {
		a, err := netip.ParseAddr(strings.Trim(hostPart[:j], "[]"))
		if err != nil {
			return f, fmt.Errorf("-p %s: host address %q: %v", s, hostPart[:j], err)
		}
		f.Host, host = a, hostPart[j+1:]
	}
	var err error
	if f.HostPort, err = port(host); err != nil {
		return f, fmt.Errorf("-p %s: host port: %v", s, err)
	}
	if f.GuestPort, err = port(guest); err != nil {
		return f, fmt.Errorf("-p %s: guest port: %v", s, err)
	}
	return f, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

func (f Forward) String() string {
	return fmt.Sprintf("%s:%d:%d/%s", f.Host, f.HostPort, f.GuestPort, f.Proto)
}

// netArgs returns the QEMU options of the network device for machine.
func (c *Config) netArgs(machine string) ([]string, error) {
	var netdev string
	switch {
	case c.Net == "" || c.Net == NetNone:
		if len(c.Forwards) > 0 {
			return nil, fmt.Errorf("port forwards need user networking, not -net %q", c.Net)
		}
		return nil, nil
	case c.Net == NetUser:
		netdev = "user,id=net0"
		for _, f := range c.Forwards {
			host := f.Host.String()
			if f.Host.Is6() {
				host = "[" + host + "]"
			}
			netdev += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", f.Proto, host, f.HostPort, f.GuestPort)
		}
	case strings.HasPrefix(c.Net, NetTap):
		ifname := strings.TrimPrefix(c.Net, NetTap)
		if ifname == "" || strings.ContainsAny(ifname, ", ") {
			return nil, fmt.Errorf("-net %s: want tap:IFNAME", c.Net)
		}
		if len(c.Forwards) > 0 {
			return nil, fmt.Errorf("port forwards need user networking, not -net %s", c.Net)
		}
		netdev = "tap,id=net0,ifname=" + ifname + ",script=no,downscript=no"
	default:
		return nil, fmt.Errorf("unknown network %q (want user, tap:IFNAME or none)", c.Net)
	}
	args := []string{"-netdev", netdev}
	if machine == Q35 {
		args = append(args, "-device", "virtio-net-pci,netdev=net0,disable-legacy=on")
	} else {
		// microvm's virtio-mmio is legacy unless told otherwise; the kernel drives version 2.
		args = append(args, "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-net-device,netdev=net0")
	}
	return args, nil
}
