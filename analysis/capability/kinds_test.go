package capability

import (
	"reflect"
	"testing"
)

func TestNetworkKinds(t *testing.T) {
	for _, tc := range []struct {
		network string
		want    []string
	}{
		{"tcp", []string{"tcp4", "tcp6"}},
		{"tcp4", []string{"tcp4"}},
		{"udp", []string{"udp4", "udp6"}},
		{"udp6", []string{"udp6"}},
		{"ip4:icmp", []string{"ip4"}},
		{"ip:1", []string{"ip4", "ip6"}},
		{"unix", []string{"unix"}},
		{"unixgram", []string{"unixgram"}},
		{"unixpacket", []string{"unixpacket"}},
		{"bogus", nil},
	} {
		if got := networkKinds(tc.network); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("networkKinds(%q) = %v, want %v", tc.network, got, tc.want)
		}
	}
}

func TestDomainKinds(t *testing.T) {
	const (
		afUnix, afInet, afInet6, afNetlink, afPacket = 1, 2, 10, 16, 17
		stream, dgram, raw, seqpacket, cloexec       = 1, 2, 3, 5, 0x80000
	)
	for _, tc := range []struct {
		domain, typ int64
		known       bool
		want        []string
	}{
		{afInet, stream | cloexec, true, []string{"tcp4"}},
		{afInet6, dgram, true, []string{"udp6"}},
		{afInet, raw, true, []string{"ip4"}},
		{afUnix, seqpacket, true, []string{"unixpacket"}},
		{afUnix, 0, false, []string{"unix", "unixgram", "unixpacket"}},
		{afNetlink, raw, true, []string{"netlink"}},
		{afPacket, raw, true, []string{"packet"}},
		{99, stream, true, nil},
	} {
		if got := domainKinds(tc.domain, tc.typ, tc.known); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("domainKinds(%d, %#x, %v) = %v, want %v", tc.domain, tc.typ, tc.known, got, tc.want)
		}
	}
}

func TestTableCoversOrder(t *testing.T) {
	if len(Order) != len(Table) {
		t.Fatalf("Order has %d capabilities, Table %d", len(Order), len(Table))
	}
	for _, name := range Order {
		if _, ok := Table[name]; !ok {
			t.Errorf("capability %s has no triggers", name)
		}
	}
}
