package netstack

import (
	"net/netip"
	"sync"
)

var resolver struct {
	mu  sync.Mutex
	dns []netip.Addr
}

// setResolver records the DNS servers of the configuration.
func setResolver(dns []netip.Addr) {
	resolver.mu.Lock()
	resolver.dns = append([]netip.Addr(nil), dns...)
	resolver.mu.Unlock()
}

// DNSServers returns the DNS servers of the network configuration.
func DNSServers() []netip.Addr {
	resolver.mu.Lock()
	defer resolver.mu.Unlock()
	return append([]netip.Addr(nil), resolver.dns...)
}
