// Package fs is the library OS's file component: a VFS that runs in program context behind the
// relay (services/relay), as the network stack does, and serves the file system calls that the
// kernel forwards (runtime/sys/paths.go): openat and the other path calls, and read, write,
// lseek, getdents64, fsync, flock... on the descriptors it hands out. Files are relay objects
// installed as non-pollable descriptors (epoll_ctl answers EPERM, as Linux does for regular
// files), so the Go runtime reads and writes them with blocking calls.
//
// The namespace (docs/files.md):
//
//	/            the root file system baked into the kernel (read-only, EROFS), with the
//	             library OS's generated /etc files where the image has none
//	/dev         null, zero, full, random, urandom, and the block devices (vda, vdb, ...)
//	/proc        the process's own entries (self, cmdline, environ, exe, mounts) and the
//	             tunables package net reads
//	/tmp         tmpfs: writable, in memory, bounded
//	volumes      file systems on block devices, at the paths the configuration gives
//
// Errors are Linux's. Reference: the Linux man pages of each call (open(2), stat(2),
// getdents64(2), rename(2), flock(2), ...), path_resolution(7).
package fs

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"unsafe"

	"github.com/unikgen/unikgen/config"

	"github.com/unikgen/unikgen/services/fs/rootimg"
	"github.com/unikgen/unikgen/services/relay"
)

// Config is the configuration of the file component, from the composition root.
type Config struct {
	// Name is the program's name (/proc/self/exe links to /Name).
	Name string
	// Root is the root file system image baked into the kernel (package rootimg), or "".
	Root string
	// TmpBytes bounds the file data /tmp holds (ENOSPC beyond); 0 means 16 MiB.
	TmpBytes int64
	// DNS returns the DNS servers that /etc/resolv.conf lists: the network component's
	// configuration, when the kernel has one.
	DNS func() []netip.Addr
	// Block are the drivers of the machine's block devices (/dev/vda, ...; /dev/xvda... on Xen).
	Block []BlockDriver
	// Volumes are the mount points of the persistent volumes (config.Kernel.Volumes), each on
	// a block device: the first volume on the first device, and so on. EnvVolumes replaces
	// them at boot.
	Volumes []string
	// MountVolume mounts a volume's file system (services/fs/extfs.MountVolume); nil in a
	// kernel without volume support.
	MountVolume func(dev BlockDevice, path string) (FileSystem, error)
}

// EnvVolumes is the environment variable of the kernel command line that replaces the
// configuration's volume mount points: a comma-separated list (UNIKGEN_VOLUMES=/data,/logs).
const EnvVolumes = "UNIKGEN_VOLUMES"

// volumes returns the mount points of the volumes, checked.
func (cfg *Config) volumes() ([]string, error) {
	vols, from := cfg.Volumes, "config.Kernel.Volumes"
	if v := os.Getenv(EnvVolumes); v != "" {
		vols, from = strings.Split(v, ","), EnvVolumes
	}
	if len(vols) > 0 && cfg.MountVolume == nil {
		return nil, fmt.Errorf("%s: this kernel has no volume support (configure config.Kernel.Volumes, or build it with -generic)", from)
	}
	seen := map[string]bool{}
	for _, p := range vols {
		if err := config.CheckVolumePath(p); err != nil {
			return nil, fmt.Errorf("%s: %v", from, err)
		}
		if seen[p] {
			return nil, fmt.Errorf("%s: %s is given twice", from, p)
		}
		seen[p] = true
	}
	return vols, nil
}

// DefaultTmpBytes bounds /tmp when the configuration does not.
const DefaultTmpBytes = 16 << 20

// New builds the namespace of cfg with the block devices devs, its objects registered with srv.
// The volumes' mount points are made, empty: Start mounts the volumes once the relay server
// runs.
func New(cfg Config, srv registry, devs []BlockDevice) (*VFS, error) {
	vols, err := cfg.volumes()
	if err != nil {
		return nil, err
	}
	if len(vols) > len(devs) {
		return nil, fmt.Errorf("volume %s: no block device for it (the machine has %d; volumes take the first devices, in order)", vols[len(devs)], len(devs))
	}
	root := NewMemFS(RamfsMagic, 0)
	if cfg.Root != "" {
		if err := loadRoot(root, unsafe.Slice(unsafe.StringData(cfg.Root), len(cfg.Root))); err != nil {
			return nil, err
		}
	}
	if err := addStandardEtc(root, cfg.DNS); err != nil {
		return nil, fmt.Errorf("root file system: %v", err)
	}
	for _, d := range []string{"dev", "proc", "tmp"} {
		if err := root.AddDir(d, 0o755); err != nil {
			return nil, fmt.Errorf("root file system: /%s: %v (the library OS mounts a file system there)", d, err)
		}
	}
	for _, p := range vols {
		if err := root.AddDir(p[1:], 0o755); err != nil {
			return nil, fmt.Errorf("root file system: %s: %v (a volume is mounted there)", p, err)
		}
	}
	root.SetReadOnly()
	v := NewVFS(root, srv)
	dev, err := newDev()
	if err != nil {
		return nil, err
	}
	if _, err := addBlockDevices(dev, devs); err != nil {
		return nil, err
	}
	dev.SetReadOnly()
	v.Mount("/dev", dev, false)
	proc, err := newProc(v, cfg.Name)
	if err != nil {
		return nil, err
	}
	v.Mount("/proc", proc, false)
	limit := cfg.TmpBytes
	if limit == 0 {
		limit = DefaultTmpBytes
	}
	tmp := NewMemFS(TmpfsMagic, limit)
	mode := uint32(0o1777)
	tmp.Setattr("", SetAttr{Mode: &mode})
	v.Mount("/tmp", tmp, false)
	return v, nil
}

// mountVolumes mounts the volumes on the first devices. It reads the devices, whose
// completions the relay server delivers: the server must be running.
func (v *VFS) mountVolumes(cfg Config, devs []BlockDevice) error {
	vols, err := cfg.volumes()
	if err != nil {
		return err
	}
	for i, p := range vols {
		f, err := cfg.MountVolume(devs[i], p)
		if err != nil {
			return fmt.Errorf("volume %s on /dev/%s%c (%v): %v", p, devicePrefix(), 'a'+i, devs[i], err)
		}
		v.Mount(p, f, true)
	}
	return nil
}

// loadRoot adds the files of a root image to root. The image's bytes are used in place: they
// live in the kernel's read-only data.
func loadRoot(root *MemFS, img []byte) error {
	entries, err := rootimg.Parse(img)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch e.Mode & rootimg.TypeMask {
		case rootimg.TypeDir:
			err = root.AddDir(e.Path, e.Mode)
			if err == nil {
				n, _ := root.lookup(e.Path)
				n.a.Mode = S_IFDIR | e.Mode&0o7777
				n.a.Mtime, n.a.Ctime, n.a.Atime = e.Mtime, e.Mtime, e.Mtime
			}
		case rootimg.TypeReg:
			_, err = root.AddFile(e.Path, e.Mode, e.Data, e.Mtime)
		case rootimg.TypeLink:
			_, err = root.AddSymlink(e.Path, string(e.Data))
		}
		if err != nil {
			return fmt.Errorf("root file system image: %s: %v", e.Path, err)
		}
	}
	return nil
}

// Start builds the namespace and serves it through the program's relay server.
func Start(cfg Config) error {
	srv := relay.Default()
	var devs []BlockDevice
	for _, d := range cfg.Block {
		ds, err := d(srv)
		if err != nil {
			logf("block device: %v", err)
		}
		for _, d := range ds {
			// One wrapper for the /dev file and the volume: a write through either drops
			// the /dev file's read-ahead (readahead.go).
			devs = append(devs, &sharedDevice{BlockDevice: d})
		}
	}
	v, err := New(cfg, srv, devs)
	if err != nil {
		return err
	}
	v.register(srv)
	v.registerExitSync(srv)
	srv.Start()
	if err := v.mountVolumes(cfg, devs); err != nil {
		return err
	}
	v.wantExitSync(srv)
	return nil
}

// logf prints a message of the file component on standard error (the console).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "unikgen: "+format+"\n", args...)
}
