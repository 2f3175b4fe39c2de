// Command netdetach checks what a program sees when its network device goes away (under Xen:
// `xl network-detach` in dom0). It opens a TCP connection to an echo server, checks one echo,
// then asks the HTTP server at URL for /detach (the test's dom0 script detaches the vif when it
// sees that request) and blocks reading the connection. The read must fail, not hang: it prints
// the error, then tries a new connection, which must fail too, and exits 0. A read still blocked
// after 60 s prints "hang" and exits 1.
//
//	netdetach URL TCPADDR
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
	if len(os.Args) != 3 {
		fmt.Println("usage: netdetach URL TCPADDR")
		os.Exit(2)
	}
	url, tcpAddr := os.Args[1], os.Args[2]
	// The test's servers start beside the domain, and may not listen yet: refused dials are
	// tried again for 30 s.
	var conn net.Conn
	var err error
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		conn, err = net.DialTimeout("tcp", tcpAddr, 20*time.Second)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || time.Since(start) > 30*time.Second {
			break
		}
	}
	if err != nil {
		fmt.Println("dial before detach:", err)
		os.Exit(1)
	}
	buf := make([]byte, 64)
	conn.Write([]byte("ping"))
	if _, err := io.ReadFull(conn, buf[:4]); err != nil || string(buf[:4]) != "ping" {
		fmt.Printf("echo before detach: %q, %v\n", buf[:4], err)
		os.Exit(1)
	}
	fmt.Println("echo before detach: ok")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(url)
	if err != nil {
		fmt.Println("asking for the detach:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	fmt.Println("asked for the detach:", resp.Status)

	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	start := time.Now()
	n, err := conn.Read(buf)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		fmt.Printf("hang: read still blocked after %.0f s\n", time.Since(start).Seconds())
		os.Exit(1)
	}
	if err == nil {
		fmt.Printf("read after detach: got %q, want an error\n", buf[:n])
		os.Exit(1)
	}
	fmt.Printf("read after detach: %v\n", err)
	conn.Close()
	if c, err := net.DialTimeout("tcp", tcpAddr, 20*time.Second); err == nil {
		c.Close()
		fmt.Println("dial after detach: connected, want an error")
		os.Exit(1)
	} else {
		fmt.Printf("dial after detach: %v\n", err)
	}
	fmt.Println("done")
}
