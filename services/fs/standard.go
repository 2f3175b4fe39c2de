package fs

// This file implements the files the library OS always provides: /dev (null, zero, full,
// random, urandom), /proc (the process's own entries that the Go runtime and the os and net
// packages read), and /etc (hosts, resolv.conf and nsswitch.conf from the network
// configuration, passwd, group, hostname).

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// Hostname is the machine's name (uname(2) answers it too).
const Hostname = "unikgen"

// addStandardEtc adds the generated /etc files to root where the root file system has none
// (a file baked into the root file system wins). dns returns the DNS servers of the network
// configuration, or is nil.
func addStandardEtc(root *MemFS, dns func() []netip.Addr) error {
	files := []struct {
		name string
		gen  func() []byte
	}{
		{"etc/hosts", static("127.0.0.1\tlocalhost " + Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n")},
		{"etc/resolv.conf", func() []byte { return resolvConf(dns) }},
		{"etc/nsswitch.conf", static("hosts: files dns\n")},
		{"etc/passwd", static("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
		{"etc/group", static("root:x:0:\nnogroup:x:65534:\n")},
		{"etc/hostname", static(Hostname + "\n")},
	}
	for _, f := range files {
		if _, err := root.AddGenerated(f.name, 0o644, f.gen); err != nil {
			return fmt.Errorf("/%s: %v", f.name, err)
		}
	}
	return nil
}

func static(s string) func() []byte {
	b := []byte(s)
	return func() []byte { return b }
}

// resolvConf returns /etc/resolv.conf for the DNS servers dns returns. Without servers Go's
// resolver tries 127.0.0.1:53 and [::1]:53, as it does without the file.
func resolvConf(dns func() []netip.Addr) []byte {
	var b strings.Builder
	b.WriteString("# unikgen: from the network configuration (config.Kernel DNS, UNIKGEN_NET_DNS or DHCP)\n")
	if dns != nil {
		for _, a := range dns() {
			fmt.Fprintf(&b, "nameserver %s\n", a)
		}
	}
	return []byte(b.String())
}

// Device numbers (Linux Documentation/admin-guide/devices.txt).
func mkdev(major, minor uint64) uint64 { return major<<8 | minor }

// charDev is an open character device of /dev.
type charDev struct {
	n    *node
	kind int
}

const (
	devNull = iota
	devZero
	devFull
	devRandom
)

// newDev returns /dev.
func newDev() (*MemFS, error) {
	d := NewMemFS(TmpfsMagic, 0)
	for _, e := range []struct {
		name  string
		kind  int
		minor uint64
	}{{"null", devNull, 3}, {"zero", devZero, 5}, {"full", devFull, 7}, {"random", devRandom, 8}, {"urandom", devRandom, 9}} {
		n := d.newNode(S_IFCHR | 0o666)
		n.a.Rdev = mkdev(1, e.minor)
		kind := e.kind
		n.dev = func() Handle { return &charDev{n: n, kind: kind} }
		if _, err := d.add(e.name, n); err != nil {
			return nil, err
		}
	}
	if _, err := d.AddSymlink("fd", "/proc/self/fd"); err != nil {
		return nil, err
	}
	return d, nil
}

func (c *charDev) Stream() bool { return true }

func (c *charDev) ReadAt(p []byte, off int64) (int, error) {
	switch c.kind {
	case devNull:
		return 0, io.EOF
	case devRandom:
		return getrandom(p)
	}
	clear(p)
	return len(p), nil
}

func (c *charDev) WriteAt(p []byte, off int64) (int, error) {
	if c.kind == devFull {
		return 0, syscall.ENOSPC
	}
	return len(p), nil
}

func (c *charDev) Attr() (Attr, error)          { return c.n.attr(), nil }
func (c *charDev) Setattr(SetAttr) error        { return nil }
func (c *charDev) ReadDir() ([]DirEntry, error) { return nil, syscall.ENOTDIR }
func (c *charDev) Sync() error                  { return syscall.EINVAL }
func (c *charDev) Close() error                 { return nil }

// getrandom fills p from the kernel's generator (getrandom(2); not crypto/rand, whose FIPS
// state would add a large array to every kernel with files).
func getrandom(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, _, e := syscall.Syscall(318, uintptr(unsafe.Pointer(&p[done])), uintptr(len(p)-done), 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return done, e
		}
		done += int(n)
	}
	return done, nil
}

// newProc returns /proc: the process (pid 1, /proc/self) with its command line, environment,
// executable and mounts, and the tunables that package net and os read.
func newProc(v *VFS, name string) (*MemFS, error) {
	p := NewMemFS(ProcMagic, 0)
	pid := fmt.Sprint(os.Getpid())
	nul := func(s []string) []byte {
		var b []byte
		for _, x := range s {
			b = append(append(b, x...), 0)
		}
		return b
	}
	args, env := nul(os.Args), nul(os.Environ())
	adds := []func() (bool, error){
		func() (bool, error) { return p.AddSymlink("self", pid) },
		func() (bool, error) { return p.AddSymlink(pid+"/exe", "/"+name) },
		func() (bool, error) { return p.AddFile(pid+"/cmdline", 0o444, args, 0) },
		func() (bool, error) { return p.AddFile(pid+"/environ", 0o400, env, 0) },
		func() (bool, error) {
			return p.AddGenerated(pid+"/mountinfo", 0o444, func() []byte { return mountinfo(v) })
		},
		func() (bool, error) { return p.AddGenerated(pid+"/mounts", 0o444, func() []byte { return mounts(v) }) },
		func() (bool, error) { return p.AddSymlink("mounts", "self/mounts") },
		func() (bool, error) { return p.AddFile("sys/net/core/somaxconn", 0o644, []byte("4096\n"), 0) },
		func() (bool, error) { return p.AddFile("sys/kernel/hostname", 0o644, []byte(Hostname+"\n"), 0) },
	}
	for _, add := range adds {
		if _, err := add(); err != nil {
			return nil, err
		}
	}
	p.SetReadOnly()
	return p, nil
}

// fsType names the file system of a mount in /proc/self/mounts.
func fsType(f FileSystem) (string, string) {
	s := f.Statfs()
	opts := "rw"
	if s.ReadOnly {
		opts = "ro"
	}
	switch s.Type {
	case TmpfsMagic:
		return "tmpfs", opts
	case ProcMagic:
		return "proc", opts
	case RamfsMagic:
		return "rootfs", opts
	}
	if n, ok := f.(interface{ TypeName() string }); ok {
		return n.TypeName(), opts
	}
	return "unknown", opts
}

func mounts(v *VFS) []byte {
	var b strings.Builder
	for _, m := range v.mountList() {
		t, opts := fsType(m.fs)
		fmt.Fprintf(&b, "%s %s %s %s 0 0\n", t, m.path, t, opts)
	}
	return []byte(b.String())
}

func mountinfo(v *VFS) []byte {
	var b strings.Builder
	for _, m := range v.mountList() {
		t, opts := fsType(m.fs)
		parent := 1
		if m.path == "/" {
			parent = 0
		}
		fmt.Fprintf(&b, "%d %d 0:%d / %s %s - %s %s %s\n", m.dev, parent, m.dev, m.path, opts, t, t, opts)
	}
	return []byte(b.String())
}
