// Command relaycost measures, inside a kernel, what one system call costs: a call the kernel
// answers itself (getppid, a fcntl on a socket) against one forwarded to the relay server (a
// getsockopt, a read that finds no data), and a TCP round trip over the loopback interface.
// docs/network.md quotes its output:
//
//	go run ./cmd/unikgen run ./internal/bench/relaycost
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func measure(name string, n int, f func()) {
	f() // warm
	t0 := time.Now()
	for i := 0; i < n; i++ {
		f()
	}
	d := time.Since(t0)
	fmt.Printf("%-40s %8.2f µs\n", name, float64(d.Nanoseconds())/float64(n)/1e3)
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			c.Write(buf[:n])
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	raw, _ := c.(*net.TCPConn).SyscallConn()
	var fd int
	raw.Control(func(f uintptr) { fd = int(f) })

	const n = 20000
	measure("getppid (kernel)", n, func() { syscall.Getppid() })
	measure("fcntl F_GETFL on a socket (kernel)", n, func() { syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0) })
	measure("getsockopt SO_TYPE (relay)", n, func() { syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE) })
	buf := make([]byte, 64)
	measure("read with no data: EAGAIN (relay)", n, func() { syscall.Read(fd, buf) })
	msg := []byte("ping")
	measure("TCP round trip on loopback (net.Conn)", 2000, func() {
		c.Write(msg)
		if _, err := c.Read(buf); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	})
}
