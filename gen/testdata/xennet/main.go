// Command xennet listens on TCP and is built for Xen only: its kernel links the network stack
// with Xen's netfront and no virtio-net driver.
package main

import (
	"net"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{Target: config.Xen}

func main() {
	ln, err := net.Listen("tcp", ":80")
	if err != nil {
		panic(err)
	}
	ln.Close()
}
