// Command netparse uses package net and net/url for their types and parsers only: it makes no
// socket, so its kernel links no network stack.
package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
)

func main() {
	ip := net.ParseIP("192.0.2.1")
	_, cidr, _ := net.ParseCIDR("10.0.0.0/8")
	u, _ := url.Parse("https://example.com:8443/a?b=c")
	p := netip.MustParsePrefix("fd00::/8")
	hp := net.JoinHostPort(u.Hostname(), u.Port())
	fmt.Println(ip, cidr.Contains(ip), u.Host, p.Bits(), hp, net.IPv4len)
}
