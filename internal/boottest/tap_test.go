package boottest

// This file tests the network on a tap interface in a private network namespace that the test
// creates: a static address from the kernel command line, the kernel resolving names through a DNS
// server there, the HTTP load test, and an address from a DHCP server (dnsmasq) on the
// namespace's bridge. The tap offers every virtio-net offload (vnet_hdr), which
// the driver must decline and still work. It needs root, iproute2, dnsmasq and curl.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// netns is a network namespace with a bridge (10.9.0.1/24) and a tap on it.
type netns struct {
	name string
	qemu string // a wrapper that runs QEMU inside the namespace
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to create a network namespace and a tap interface")
	}
	for _, tool := range []string{"ip", "dnsmasq", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s not found (Debian packages iproute2, dnsmasq-base, curl)", tool)
		}
	}
	n := &netns{name: fmt.Sprintf("ugtest%d", os.Getpid()%100000)}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", n.name).Run() })
	run("-n", n.name, "link", "set", "lo", "up")
	run("-n", n.name, "link", "add", "br0", "type", "bridge")
	run("-n", n.name, "addr", "add", "10.9.0.1/24", "dev", "br0")
	run("-n", n.name, "addr", "add", "fd00:9::1/64", "dev", "br0", "nodad")
	run("-n", n.name, "link", "set", "br0", "up")
	run("-n", n.name, "tuntap", "add", "dev", "tap0", "mode", "tap")
	run("-n", n.name, "link", "set", "tap0", "master", "br0")
	run("-n", n.name, "link", "set", "tap0", "up")
	qemuPath := testenv.NeedQEMU(t)
	n.qemu = filepath.Join(t.TempDir(), "qemu-in-netns")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", n.name, qemuPath)
	if err := os.WriteFile(n.qemu, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return n
}

// exec runs a command inside the namespace.
func (n *netns) exec(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...)
}

// start starts a server inside the namespace for the rest of test t (which kills it at its
// end) and returns the server's output.
func (n *netns) start(t *testing.T, args ...string) *syncBuffer {
	t.Helper()
	d := n.exec(args...)
	out := &syncBuffer{}
	d.Stdout, d.Stderr = out, out
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Process.Kill()
		d.Wait()
	})
	return out
}

// curl GETs url from inside the namespace until it answers, or fails the test.
func (n *netns) curl(t *testing.T, r *running, url string) string {
	t.Helper()
	var out []byte
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if out, err = n.exec("curl", "-g", "-s", "-f", "-m", "5", url).Output(); err == nil {
			return string(out)
		}
	}
	t.Fatalf("curl %s in the namespace: %v; console:\n%s", url, err, r.console.String())
	return ""
}

func TestNetTap(t *testing.T) {
	needQEMU(t)
	n := newNetns(t)

	t.Run("static", func(t *testing.T) {
		r := boot(t, "examples/http", qemu.Config{QEMU: n.qemu, Net: qemu.NetTap + "tap0",
			Env: []string{"UNIKGEN_NET_IPV4=10.9.0.15/24", "UNIKGEN_NET_GATEWAY4=10.9.0.1", "UNIKGEN_NET_DNS=10.9.0.1",
				"UNIKGEN_NET_IPV6=fd00:9::15/64"}})
		r.waitFor(t, "unikgen: eth0 10.9.0.15/24 via 10.9.0.1, fd00:9::15/64 (static), dns [10.9.0.1]", 90*time.Second)
		if body := n.curl(t, r, "http://10.9.0.15/"); !strings.HasPrefix(body, "Hello from a unikernel! You asked for / from 10.9.0.1:") {
			t.Errorf("GET / over IPv4: %q", body)
		}
		if body := n.curl(t, r, "http://[fd00:9::15]/"); !strings.HasPrefix(body, "Hello from a unikernel! You asked for / from [fd00:9::1]:") {
			t.Errorf("GET / over IPv6: %q", body)
		}
	})

	t.Run("dns", func(t *testing.T) {
		// examples/dns, built for the host, serves unikernel.test on the bridge's address; the
		// kernel resolves names through it with Go's resolver (/etc/resolv.conf from the
		// configuration, /etc/hosts for localhost).
		bin := hostBinary(t, "examples/dns")
		dlog := n.start(t, bin, "-addr", "10.9.0.1:53")
		r := boot(t, "internal/boottest/testdata/resolve", qemu.Config{QEMU: n.qemu, Net: qemu.NetTap + "tap0",
			Env:  []string{"UNIKGEN_NET_IPV4=10.9.0.16/24", "UNIKGEN_NET_DNS=10.9.0.1"},
			Args: []string{"www.unikernel.test", "api.unikernel.test", "localhost", "nothing.unikernel.test"}})
		res, out := r.wait(t, 120*time.Second)
		for _, want := range []string{
			"www.unikernel.test: 192.0.2.10 2001:db8::10\n",
			"api.unikernel.test: 192.0.2.20 192.0.2.21\n",
			"localhost: 127.0.0.1 ::1\n",
			"nothing.unikernel.test: lookup nothing.unikernel.test",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s\ndns server:\n%s", want, out, dlog.String())
			}
		}
		if res.Status != 1 { // the last name does not exist
			t.Errorf("status %d, want 1", res.Status)
		}
	})

	t.Run("load", func(t *testing.T) {
		// 5,000 requests from 64 clients, half on keep-alive connections and half on a new
		// connection each, with no error, then the server still answers. (Through QEMU's user
		// networking, libslirp loses the host's bytes on a few connections under this load, with
		// a Linux guest too: docs/network.md, "Testing".)
		bin := hostBinary(t, "internal/boottest/testdata/httpload")
		r := boot(t, "examples/http", qemu.Config{QEMU: n.qemu, Net: qemu.NetTap + "tap0",
			Env: []string{"UNIKGEN_NET_IPV4=10.9.0.17/24"}})
		n.curl(t, r, "http://10.9.0.17/")
		out, err := n.exec(bin, "-url", "http://10.9.0.17/status", "-n", "5000", "-c", "64").CombinedOutput()
		t.Logf("%s", bytes.TrimSpace(out))
		if err != nil || !bytes.Contains(out, []byte(" 0 failed")) {
			t.Errorf("load: %v; console:\n%s", err, r.console.String())
		}
		if body := n.curl(t, r, "http://10.9.0.17/"); !strings.HasPrefix(body, "Hello from a unikernel!") {
			t.Errorf("after the load: %q", body)
		}
	})

	t.Run("dhcp", func(t *testing.T) {
		dlog := n.start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=br0",
			"--bind-interfaces", "--dhcp-range=10.9.0.50,10.9.0.60,255.255.255.0,1h", "--dhcp-option=3,10.9.0.1",
			"--dhcp-option=6,10.9.0.1", "--dhcp-leasefile="+filepath.Join(t.TempDir(), "leases"))
		r := boot(t, "examples/http", qemu.Config{QEMU: n.qemu, Net: qemu.NetTap + "tap0"})
		r.waitFor(t, "(dhcp)", 90*time.Second)
		m := regexp.MustCompile(`eth0 (10\.9\.0\.5\d)/24 via 10\.9\.0\.1 \(dhcp\), dns \[10\.9\.0\.1\]`).FindStringSubmatch(r.console.String())
		if m == nil {
			t.Fatalf("no DHCP lease from dnsmasq in the console:\n%s\ndnsmasq:\n%s", r.console.String(), dlog.String())
		}
		if body := n.curl(t, r, "http://"+m[1]+"/"); !strings.HasPrefix(body, "Hello from a unikernel!") {
			t.Errorf("GET /: %q", body)
		}
	})
}

// hostBinary builds pkg (relative to the module root) as a program of this machine, in a
// temporary directory of t.
func hostBinary(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, "./"+pkg)
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}
