// Command resolv checks the files a networked program's resolver reads: /etc/resolv.conf lists
// the DNS servers of the network configuration (DHCP under QEMU user networking: 10.0.2.3), and
// /etc/hosts answers localhost without DNS.
package main

import (
	"fmt"
	"net"
	"os"
	"sort"
)

func main() {
	b, err := os.ReadFile("/etc/resolv.conf")
	fmt.Printf("resolv.conf: %q %v\n", b, err)
	addrs, err := net.LookupHost("localhost")
	sort.Strings(addrs)
	fmt.Printf("localhost: %v %v\n", addrs, err)
	if err != nil {
		os.Exit(1)
	}
}
