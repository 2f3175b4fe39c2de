// Command netclient is the kernel as a network client: it fetches an HTTP URL, talks to a TCP
// echo server and a UDP echo server, all run by the test on the host, and prints what it got.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Println("usage: netclient URL TCPADDR UDPADDR")
		os.Exit(2)
	}
	url, tcpAddr, udpAddr := os.Args[1], os.Args[2], os.Args[3]
	status := 0
	fail := func(what string, err error) {
		fmt.Printf("%s: %v\n", what, err)
		status = 1
	}

	c := &http.Client{Timeout: 20 * time.Second}
	// The test's servers may start after the kernel: refused connections are tried again for 30 s.
	resp, err := c.Get(url)
	for start := time.Now(); err != nil && errors.Is(err, syscall.ECONNREFUSED) && time.Since(start) < 30*time.Second; {
		time.Sleep(200 * time.Millisecond)
		resp, err = c.Get(url)
	}
	if err != nil {
		fail("http", err)
	} else {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail("http body", err)
		}
		fmt.Printf("http: %d %q\n", resp.StatusCode, body)
	}

	if conn, err := net.DialTimeout("tcp", tcpAddr, 20*time.Second); err != nil {
		fail("tcp", err)
	} else {
		msg := []byte("ping over tcp")
		conn.Write(msg)
		conn.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(conn)
		conn.Close()
		if err != nil {
			fail("tcp read", err)
		}
		fmt.Printf("tcp: %q\n", got)
	}

	if conn, err := net.Dial("udp", udpAddr); err != nil {
		fail("udp", err)
	} else {
		buf := make([]byte, 100)
		var n int
		for try := 0; try < 5; try++ { // datagrams may be lost; try again
			conn.Write([]byte("ping over udp"))
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			if n, err = conn.Read(buf); err == nil {
				break
			}
		}
		conn.Close()
		if err != nil {
			fail("udp read", err)
		}
		fmt.Printf("udp: %q\n", buf[:n])
	}
	os.Exit(status)
}
