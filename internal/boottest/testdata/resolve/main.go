// Command resolve looks up the names it is given with Go's own resolver (which reads
// /etc/resolv.conf and /etc/hosts) and prints the addresses, sorted.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	status := 0
	r := &net.Resolver{PreferGo: true}
	for _, name := range os.Args[1:] {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		addrs, err := r.LookupHost(ctx, name)
		cancel()
		if err != nil {
			fmt.Printf("%s: %v\n", name, err)
			status = 1
			continue
		}
		sort.Strings(addrs)
		fmt.Printf("%s: %s\n", name, strings.Join(addrs, " "))
	}
	os.Exit(status)
}
