package boottest

// This file tests the network: kernels serving, and kernels as clients, over QEMU's user
// networking with real traffic from the host.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for QEMU's console writer and the test's reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A running kernel, booted in the background.
type running struct {
	console *syncBuffer
	cancel  context.CancelFunc
	done    chan struct{}
	res     qemu.Result
	err     error
}

// boot starts pkg's kernel under QEMU with cfg (Kernel and Console are set here).
func boot(t *testing.T, pkg string, cfg qemu.Config) *running {
	t.Helper()
	needQEMU(t)
	cfg.Kernel = kernel(t, pkg)
	r := &running{console: &syncBuffer{}, done: make(chan struct{})}
	cfg.Console = r.console
	if cfg.Timeout == 0 {
		cfg.Timeout = 300 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.res, r.err = qemu.Run(ctx, cfg)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait waits for the kernel to exit.
func (r *running) wait(t *testing.T, d time.Duration) (qemu.Result, string) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.cancel()
		<-r.done
		t.Fatalf("the kernel did not exit within %v; console:\n%s", d, r.console.String())
	}
	if r.err != nil {
		t.Fatalf("%v; console:\n%s", r.err, r.console.String())
	}
	return r.res, r.console.String()
}

// waitFor polls until the console contains s, or fails the test.
func (r *running) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(r.console.String(), s) {
		select {
		case <-r.done:
			t.Fatalf("the kernel exited (%v) before printing %q; console:\n%s", r.err, s, r.console.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the console within %v; console:\n%s", s, d, r.console.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func needQEMU(t *testing.T) {
	t.Helper()
	testenv.NeedBoot(t, "boots kernels")
}

// freePort returns a TCP (or UDP) port of 127.0.0.1 that is free now.
func freePort(t *testing.T, udp bool) int {
	t.Helper()
	if udp {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// forward returns a user-networking forward of a free host port to guest.
func forward(t *testing.T, guest int, udp bool) qemu.Forward {
	proto := "tcp"
	if udp {
		proto = "udp"
	}
	f, err := qemu.ParseForward(fmt.Sprintf("%d:%d/%s", freePort(t, udp), guest, proto))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// getUntil GETs url until it answers 200 (the kernel may still be booting), or fails the test.
func getUntil(t *testing.T, r *running, url string, d time.Duration) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			t.Fatalf("the kernel exited (%v); console:\n%s", r.err, r.console.String())
		default:
		}
		resp, err := c.Get(url)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				return string(body)
			}
			last = fmt.Errorf("status %d, %v", resp.StatusCode, err)
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: no answer within %v: %v; console:\n%s", url, d, last, r.console.String())
	return ""
}

// TestNetHTTP serves examples/http to the host through a forwarded port (-p): the API, then
// clients that reset connections mid-request and send garbage, and the server still answers.
// The load test is TestNetTap/load: under load, QEMU's user networking (libslirp) itself stops
// forwarding the host's bytes on some connections (docs/network.md, "Testing").
func TestNetHTTP(t *testing.T) {
	fw := forward(t, 80, false)
	r := boot(t, "examples/http", qemu.Config{Net: qemu.NetUser, Forwards: []qemu.Forward{fw}})
	base := fmt.Sprintf("http://127.0.0.1:%d", fw.HostPort)
	body := getUntil(t, r, base+"/", 90*time.Second)
	if !strings.HasPrefix(body, "Hello from a unikernel! You asked for / from 10.0.2.2:") {
		t.Errorf("GET /: %q", body)
	}
	r.waitFor(t, "unikgen: eth0 10.0.2.15/24 via 10.0.2.2 (dhcp), dns [10.0.2.3]", time.Second)

	// The JSON API.
	req, _ := http.NewRequest("PUT", base+"/items/answer", strings.NewReader(`{"Value":"42"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var item map[string]string
	resp, err = http.Get(base + "/items/answer")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&item)
	resp.Body.Close()
	if resp.StatusCode != 200 || item["value"] != "42" {
		t.Errorf("GET /items/answer: %d %v", resp.StatusCode, item)
	}
	resp, err = http.Get(base + "/items/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /items/nothing: status %d, want 404", resp.StatusCode)
	}

	// Rude clients: a reset in the middle of a request, and garbage.
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", fw.HostPort))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			c.Write([]byte("GET /status HTTP/1.1\r\nHost: x\r\nContent-Le"))
			c.(*net.TCPConn).SetLinger(0) // close with RST
		} else {
			c.Write(bytes.Repeat([]byte{0xff, 0x00, '\r', '\n'}, 1000))
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, c) // the server answers 400 and closes
		}
		c.Close()
	}
	if body := getUntil(t, r, base+"/", 30*time.Second); !strings.HasPrefix(body, "Hello from a unikernel!") {
		t.Errorf("after the rude clients: %q", body)
	}
}

// TestNetClient runs the kernel as a client of servers on the host (reached through QEMU's user
// networking at 10.0.2.2): HTTP, a TCP echo and a UDP echo.
func TestNetClient(t *testing.T) {
	needQEMU(t)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(hl)
	defer hs.Close()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	ul, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, a, err := ul.ReadFrom(buf)
			if err != nil {
				return
			}
			ul.WriteTo(buf[:n], a)
		}
	}()
	port := func(a net.Addr) int {
		_, p, _ := net.SplitHostPort(a.String())
		var n int
		fmt.Sscan(p, &n)
		return n
	}
	r := boot(t, "internal/boottest/testdata/netclient", qemu.Config{Net: qemu.NetUser, Args: []string{
		fmt.Sprintf("http://10.0.2.2:%d/from-the-kernel", port(hl.Addr())),
		fmt.Sprintf("10.0.2.2:%d", port(tl.Addr())),
		fmt.Sprintf("10.0.2.2:%d", port(ul.LocalAddr())),
	}})
	res, out := r.wait(t, 240*time.Second)
	want := "http: 200 \"hello /from-the-kernel\"\ntcp: \"ping over tcp\"\nudp: \"ping over udp\"\n"
	if res.Status != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("status %d, output:\n%s\nwant it to end with:\n%s", res.Status, out, want)
	}
}

// TestNetEcho echoes TCP and UDP through examples/echo.
func TestNetEcho(t *testing.T) {
	tf, uf := forward(t, 7, false), forward(t, 7, true)
	uf.HostPort = tf.HostPort // same number, other protocol, when it is free for UDP too
	if c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", uf.HostPort)); err == nil {
		c.Close()
	} else {
		uf = forward(t, 7, true)
	}
	r := boot(t, "examples/echo", qemu.Config{Net: qemu.NetUser, Forwards: []qemu.Forward{tf, uf}})
	r.waitFor(t, "echoing on tcp and udp :7", 90*time.Second)

	// TCP: 1 MiB through and back.
	var c net.Conn
	var err error
	for i := 0; i < 50; i++ {
		if c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tf.HostPort)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(120 * time.Second))
	got, err := io.ReadAll(c)
	c.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("tcp echo: %d bytes back (want %d), equal %v, err %v", len(got), len(data), bytes.Equal(got, data), err)
	}

	// UDP: datagrams of several sizes, each echoed whole.
	u, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", uf.HostPort))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, size := range []int{1, 100, 1400, 8000} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		buf := make([]byte, 65536)
		var n int
		for try := 0; try < 5; try++ {
			u.Write(msg)
			u.SetReadDeadline(time.Now().Add(3 * time.Second))
			if n, err = u.Read(buf); err == nil || !isTimeout(err) {
				break
			}
		}
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Errorf("udp echo of %d bytes: %d back, err %v", size, n, err)
		}
	}
}

// isTimeout reports whether err is a network timeout (a datagram lost: try again).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestNetQ35 serves examples/http on the q35 machine: a modern virtio-pci device with MSI-X.
func TestNetQ35(t *testing.T) {
	fw := forward(t, 80, false)
	r := boot(t, "examples/http", qemu.Config{Machine: qemu.Q35, Net: qemu.NetUser, Forwards: []qemu.Forward{fw}})
	body := getUntil(t, r, fmt.Sprintf("http://127.0.0.1:%d/", fw.HostPort), 120*time.Second)
	if !strings.HasPrefix(body, "Hello from a unikernel!") {
		t.Errorf("GET /: %q", body)
	}
	r.waitFor(t, "unikgen: eth0 10.0.2.15/24 via 10.0.2.2 (dhcp)", time.Second)
}

// TestNetDNS queries examples/dns, an authoritative server on github.com/miekg/dns, from the
// host over UDP and TCP.
func TestNetDNS(t *testing.T) {
	tf := forward(t, 53, false)
	uf := forward(t, 53, true)
	r := boot(t, "examples/dns", qemu.Config{Net: qemu.NetUser, Forwards: []qemu.Forward{tf, uf}})
	r.waitFor(t, "serving unikernel.test. on :53", 90*time.Second)
	for _, c := range []struct {
		netw, name string
		qtype      uint16
		want       []string // answers, in order
		rcode      int
	}{
		{"udp", "www.unikernel.test.", dns.TypeA, []string{"192.0.2.10"}, dns.RcodeSuccess},
		{"udp", "www.unikernel.test.", dns.TypeAAAA, []string{"2001:db8::10"}, dns.RcodeSuccess},
		{"tcp", "api.unikernel.test.", dns.TypeA, []string{"192.0.2.20", "192.0.2.21"}, dns.RcodeSuccess},
		{"udp", "nothing.unikernel.test.", dns.TypeA, nil, dns.RcodeNameError},
		{"udp", "example.com.", dns.TypeA, nil, dns.RcodeRefused},
	} {
		port := uf.HostPort
		if c.netw == "tcp" {
			port = tf.HostPort
		}
		cl := &dns.Client{Net: c.netw, Timeout: 3 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion(c.name, c.qtype)
		var in *dns.Msg
		var err error
		for try := 0; try < 5; try++ { // the first datagrams may meet a kernel still starting
			if in, _, err = cl.Exchange(m, fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				break
			}
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.netw, c.name, err)
			continue
		}
		var got []string
		for _, rr := range in.Answer {
			switch a := rr.(type) {
			case *dns.A:
				got = append(got, a.A.String())
			case *dns.AAAA:
				got = append(got, a.AAAA.String())
			}
		}
		if in.Rcode != c.rcode || strings.Join(got, " ") != strings.Join(c.want, " ") || !in.Authoritative && c.rcode != dns.RcodeRefused {
			t.Errorf("%s %s: rcode %d answers %v aa %v; want rcode %d answers %v", c.netw, c.name, in.Rcode, got, in.Authoritative, c.rcode, c.want)
		}
	}
}
