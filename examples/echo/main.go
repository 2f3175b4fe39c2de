// Command echo echoes TCP streams and UDP datagrams back to their sender, on the same port.
//
//	go run ./cmd/unikgen run -p 7007:7 -p 7007:7/udp ./examples/echo
//	nc 127.0.0.1 7007
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
)

var port = flag.Int("port", 7, "port to echo on (TCP and UDP)")

func main() {
	flag.Parse()
	addr := fmt.Sprintf(":%d", *port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "echoing on tcp and udp %s\n", addr)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				log.Fatal(err)
			}
			if _, err := pc.WriteTo(buf[:n], from); err != nil {
				log.Printf("udp %v: %v", from, err)
			}
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}
