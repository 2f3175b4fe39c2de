package netstack

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// wire is one direction of an Ethernet cable between two stacks: frames are delivered by a
// goroutine, as a driver's interrupt handler would.
type wire struct {
	mac     [6]byte
	frames  chan []byte
	mu      sync.Mutex
	cut     bool
	deliver func([]byte) // the other end's
}

func (w *wire) MAC() [6]byte { return w.mac }

func (w *wire) Transmit(parts ...[]byte) error {
	w.mu.Lock()
	cut := w.cut
	w.mu.Unlock()
	if cut {
		return errors.New("cable cut")
	}
	var f []byte
	for _, p := range parts {
		f = append(f, p...)
	}
	select {
	case w.frames <- f:
	default:
	}
	return nil
}

func (w *wire) pump() {
	for f := range w.frames {
		w.deliver(f)
	}
}

// twoStacks returns a "guest" stack (10.0.2.15) and a "host" stack (10.0.2.2) on one cable, the
// guest's NIC id 2.
func twoStacks(t *testing.T) (guest, host *stack.Stack, gw, hw *wire) {
	t.Helper()
	gw = &wire{mac: [6]byte{2, 0, 0, 0, 0, 15}, frames: make(chan []byte, 256)}
	hw = &wire{mac: [6]byte{2, 0, 0, 0, 0, 2}, frames: make(chan []byte, 256)}
	mk := func(w *wire, addr string) (*stack.Stack, func([]byte)) {
		s, err := NewStack()
		if err != nil {
			t.Fatal(err)
		}
		ep, deliver := NewLink(w, 1514)
		if err := s.CreateNIC(2, ep); err != nil {
			t.Fatal(err)
		}
		p := netip.MustParsePrefix(addr)
		if err := addAddress(s, 2, p); err != nil {
			t.Fatal(err)
		}
		s.SetRouteTable(append(s.GetRouteTable(), tcpip.Route{Destination: subnet(p), NIC: 2}))
		return s, deliver
	}
	var gd, hd func([]byte)
	guest, gd = mk(gw, "10.0.2.15/24")
	host, hd = mk(hw, "10.0.2.2/24")
	gw.deliver, hw.deliver = hd, gd
	go gw.pump()
	go hw.pump()
	t.Cleanup(func() { close(gw.frames); close(hw.frames); guest.Close(); host.Close() })
	return
}

// TestDeviceDown: when the device under an interface goes away, a connection over it fails at
// once instead of waiting for TCP's timeouts, and so does a new one.
func TestDeviceDown(t *testing.T) {
	guest, host, gw, hw := twoStacks(t)
	hostAddr := tcpip.FullAddress{NIC: 2, Addr: tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), Port: 8080}
	ln, err := gonet.ListenTCP(host, hostAddr, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(c, c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, guest, hostAddr, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 5)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	// The cable is cut and the device reports it.
	for _, w := range []*wire{gw, hw} {
		w.mu.Lock()
		w.cut = true
		w.mu.Unlock()
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := c.Read(buf)
		readErr <- err
	}()
	down(guest, 2, "eth0 (test cable)", errors.New("the cable was cut"))
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("a read on the connection succeeded after the interface went down")
		}
		t.Logf("read: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("a read on a connection over the lost interface still waits after 5 s")
	}
	start := time.Now()
	_, err = gonet.DialContextTCP(ctx, guest, hostAddr, ipv4.ProtocolNumber)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("dial over the lost interface: %v after %v, want an error at once", err, time.Since(start))
	}
	t.Logf("dial: %v", err)
}
