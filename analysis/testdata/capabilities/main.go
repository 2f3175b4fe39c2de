// Command capabilities uses one API per capability: a file, a signal, the
// clock, randomness and a unix socket.
package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	data, err := os.ReadFile("/etc/hostname")
	fmt.Println(len(data), err)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)

	start := time.Now()
	var key [16]byte
	rand.Read(key[:])

	l, err := net.Listen("unix", "/tmp/capabilities.sock")
	if err == nil {
		l.Close()
	}
	fmt.Println(time.Since(start) >= 0)
}
