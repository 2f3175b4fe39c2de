package boottest

// This file boots the programs of the file component (services/fs), built as `unikgen build`
// builds them: specialised by the analysis, with a root file system baked in.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/bootcases"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// buildSpecialised generates and builds pkg as `unikgen build` does (bootcases.BuildSpecialised).
var buildSpecialised = bootcases.BuildSpecialised

func bootConsole(t *testing.T, cfg qemu.Config) (string, int) {
	t.Helper()
	var console bytes.Buffer
	cfg.Console = &console
	if cfg.Timeout == 0 {
		cfg.Timeout = 120 * time.Second
	}
	res, err := qemu.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, console.String())
	}
	return console.String(), res.Status
}

// TestFiles boots testdata/files with testdata/files/rootfs baked in: the root file system's tree
// hashes as on the host, its files read, writes fail with EROFS, the generated /etc files, /dev,
// /proc and tmpfs behave as on Linux (each check prints "ok NAME").
func TestFiles(t *testing.T) {
	needQEMU(t)
	r, img := buildSpecialised(t, bootcases.FilesPkg, bootcases.FilesRootFS)
	if c, _ := r.Plan.Component("files"); !c.In {
		t.Fatalf("files component out: %+v", c)
	}
	if r.RootFSSize == 0 {
		t.Errorf("no root file system image in the build")
	}
	out, status := bootConsole(t, qemu.Config{Kernel: img})
	if status != 0 {
		t.Errorf("exit status %d, want 0", status)
	}
	want := bootcases.FilesDigest(t)
	if !strings.Contains(out, want) {
		t.Errorf("output does not contain the host's digest %q", want)
	}
	for _, s := range []string{
		"root: dev empty etc index-link proc tmp www <nil>\n",
		"tmp tree: . b.txt link rw x x/y x/y/z x/y/z/f\n",
		"ok write to the root is EROFS\n", "ok rename\n", "ok flock\n", "ok RemoveAll\n", "done\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output does not contain %q", s)
		}
	}
	if strings.Contains(out, "FAIL") || t.Failed() {
		t.Errorf("output:\n%s", out)
	}
}

// TestResolvConf boots a program that uses the network: the file component is in with it, and
// /etc/resolv.conf lists the DNS server that QEMU's DHCP server gave.
func TestResolvConf(t *testing.T) {
	needQEMU(t)
	r, img := buildSpecialised(t, "internal/boottest/testdata/resolv", "")
	if !r.Plan.Has("files") || !r.Plan.Has("network") {
		t.Fatalf("want the network and file components; components: %+v", r.Plan.Components)
	}
	out, status := bootConsole(t, qemu.Config{Kernel: img, Net: qemu.NetUser})
	if status != 0 {
		t.Errorf("exit status %d, want 0", status)
	}
	for _, s := range []string{`\nnameserver 10.0.2.3\n" <nil>`, "localhost: [127.0.0.1 ::1] <nil>\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output does not contain %q; output:\n%s", s, out)
		}
	}
}

// TestNoFileLayer checks specialisation: a program that uses no files (examples/hello prints
// with fmt, which reaches only package time's zoneinfo reads) links no file component, and its
// kernel still boots.
func TestNoFileLayer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a kernel; skipped with -short")
	}
	r, img := buildSpecialised(t, "examples/hello", "")
	if r.Plan.Has("files") || r.Plan.Services() {
		t.Errorf("hello: files in %v, services %v; want neither", r.Plan.Has("files"), r.Plan.Services())
	}
	for _, s := range imageSymbols(t, img) {
		if strings.HasPrefix(s.Name, "github.com/unikgen/unikgen/services/") {
			t.Fatalf("hello links %s", s.Name)
		}
	}
}

// TestBlockDevice boots testdata/blockdev with a 1 MiB raw image as /dev/vda: the guest reads
// what the host wrote, and its fsync'd write is in the image file after the machine stops.
func TestBlockDevice(t *testing.T) {
	needQEMU(t)
	r, img := buildSpecialised(t, "internal/boottest/testdata/blockdev", "")
	if !r.Plan.Has("block") {
		t.Fatalf("block component out: %+v", r.Plan.Components)
	}
	for _, machine := range []string{qemu.MicroVM, qemu.Q35} {
		t.Run(machine, func(t *testing.T) {
			disk := filepath.Join(t.TempDir(), "disk.img")
			b := make([]byte, 1<<20)
			copy(b, "hello from the host")
			if err := os.WriteFile(disk, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out, status := bootConsole(t, qemu.Config{Kernel: img, Machine: machine, Drives: []qemu.Drive{{File: disk}}})
			if status != 0 {
				t.Errorf("exit status %d, want 0", status)
			}
			for _, s := range []string{
				"block device: true <nil>\n", "seek end: 1048576 <nil>\n", "BLKGETSIZE64: 1048576 errno 0\n",
				"host wrote: \"hello from the host\" <nil>\n", "write: <nil>\n", "fsync: <nil>\n",
				"read back: \"written by the guest\" <nil>\n", "read at the end: 10 EOF\n",
			} {
				if !strings.Contains(out, s) {
					t.Errorf("output does not contain %q", s)
				}
			}
			got, err := os.ReadFile(disk)
			if err != nil {
				t.Fatal(err)
			}
			if string(got[4096+7:4096+7+20]) != "written by the guest" {
				t.Errorf("the image holds %q at 4103, want the guest's write", got[4096+7:4096+7+20])
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestHostFiles checks the advice and the flags for the files a program looks for in the root
// file system: without them the build says that crypto/x509's system roots and
// time.LoadLocation will find nothing; with the build machine's CA bundle and zoneinfo baked in,
// the kernel loads the roots and Europe/Paris.
func TestHostFiles(t *testing.T) {
	needQEMU(t)
	if _, err := os.Stat(gen.ZoneinfoDir + "/Europe/Paris"); err != nil {
		testenv.Missing(t, "this machine has no zoneinfo (install tzdata)")
	}
	r, err := gen.Generate(context.Background(), gen.Options{Dir: moduleRoot(), Package: "./internal/boottest/testdata/hostfiles"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Advice) != 2 || !strings.Contains(r.Advice[0], "-host-ca-bundle") || !strings.Contains(r.Advice[1], "-host-zoneinfo") {
		t.Errorf("advice without a root file system: %q; want the CA bundle's and zoneinfo's", r.Advice)
	}
	r, img := buildSpecialised(t, "internal/boottest/testdata/hostfiles", "", "ca", "zoneinfo")
	if len(r.Advice) != 0 {
		t.Errorf("advice with the host's files baked in: %q", r.Advice)
	}
	out, status := bootConsole(t, qemu.Config{Kernel: img})
	if status != 0 {
		t.Errorf("exit status %d", status)
	}
	for _, s := range []string{"roots: true <nil>\n", "zone: Europe/Paris <nil>\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output does not contain %q; output:\n%s", s, out)
		}
	}
}

// TestStaticSite serves testdata/files/rootfs/www, baked in as the root file system, with
// net/http's file server, and fetches its files through QEMU's port forwarding: each body must be
// the file on the host.
func TestStaticSite(t *testing.T) {
	needQEMU(t)
	_, img := buildSpecialised(t, "internal/boottest/testdata/site", "internal/boottest/testdata/files/rootfs")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	type result struct {
		out    string
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var console bytes.Buffer
		res, err := qemu.Run(context.Background(), qemu.Config{
			Kernel: img, Net: qemu.NetUser, Console: &console, Timeout: 180 * time.Second,
			Forwards: []qemu.Forward{{Proto: "tcp", Host: netip.MustParseAddr("127.0.0.1"), HostPort: port, GuestPort: 80}},
		})
		done <- result{out: console.String(), status: res.Status, err: err}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string) (string, error) {
		resp, err := http.Get(base + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return string(b), fmt.Errorf("%s: %s", path, resp.Status)
		}
		return string(b), err
	}
	deadline := time.Now().Add(150 * time.Second)
	for {
		if _, err = get("/index.html"); err == nil || time.Now().After(deadline) {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the kernel stopped (status %d, %v) before serving; console:\n%s", r.status, r.err, r.out)
		case <-time.After(500 * time.Millisecond):
		}
	}
	if err != nil {
		t.Fatalf("GET /index.html: %v", err)
	}
	for _, f := range []string{"index.html", "css/site.css"} {
		want, err := os.ReadFile(filepath.Join("testdata", "files", "rootfs", "www", f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := get("/" + f)
		if err != nil || got != string(want) {
			t.Errorf("GET /%s = %q, %v; want %q", f, got, err, want)
		}
	}
	if _, err := get("/missing.html"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET /missing.html: %v, want 404", err)
	}
	get("/quit")
	r := <-done
	if r.err != nil || r.status != 0 {
		t.Errorf("kernel: status %d, %v; console:\n%s", r.status, r.err, r.out)
	}
}
