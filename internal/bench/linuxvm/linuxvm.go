// Package linuxvm builds the Linux guest that the benchmarks compare unikgen kernels with
// (net-storage-notes.md §7, "a Linux microVM baseline"): Debian's kernel, taken from the package
// cache of internal/host/xenlab, booted by QEMU with an initramfs that holds a static Go /init,
// the program under test as /app and the kernel modules /init loads, in order, from /modules.
package linuxvm

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/unikgen/unikgen/internal/cpio"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/libos"
)

// A Guest is what the initramfs holds.
type Guest struct {
	Init string // the package of /init, built static; it loads /modules/* in name order
	App  string // the package of /app, built static as the unikernel's program is
	// Modules are the kernel modules, relative to the kernel's lib/modules/VERSION, in load
	// order (each after what its modinfo "depends=" names).
	Modules []string
}

// Build writes the guest's kernel and initramfs into dir and returns their paths.
func Build(ctx context.Context, dir string, g Guest) (kernel, initrd string, err error) {
	cache, err := xenlab.DefaultCacheDir()
	if err != nil {
		return "", "", err
	}
	if err := xenlab.EnsureCache(ctx, cache, os.Stderr); err != nil {
		return "", "", err
	}
	debs, _ := filepath.Glob(filepath.Join(cache, "debs", "linux-image-*.deb"))
	if len(debs) == 0 {
		return "", "", fmt.Errorf("linuxvm: no linux-image package in the xenlab cache %s", cache)
	}
	root := filepath.Join(dir, "linux")
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("linuxvm: dpkg-deb -x %s: %v\n%s", debs[0], err, out)
	}
	kernels, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	mods, _ := filepath.Glob(filepath.Join(root, "lib", "modules", "*"))
	if len(kernels) != 1 || len(mods) != 1 {
		return "", "", fmt.Errorf("linuxvm: %s has %d kernels and %d module trees, want one of each", debs[0], len(kernels), len(mods))
	}
	var img bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&img, gzip.BestCompression)
	cw := &cpio.Writer{W: zw}
	cw.Dir("dev", 0o755)
	cw.Dir("modules", 0o755)
	for _, f := range []struct{ name, pkg string }{{"init", g.Init}, {"app", g.App}} {
		b, err := StaticBinary(ctx, f.pkg, filepath.Join(dir, f.name))
		if err != nil {
			return "", "", err
		}
		cw.File(f.name, 0o755, b)
	}
	for i, m := range g.Modules {
		b, err := os.ReadFile(filepath.Join(mods[0], m))
		if err != nil {
			return "", "", fmt.Errorf("linuxvm: module: %w", err)
		}
		cw.File(fmt.Sprintf("modules/%02d-%s", i, filepath.Base(m)), 0o644, b)
	}
	if err := cw.Close(); err != nil {
		return "", "", err
	}
	if err := zw.Close(); err != nil {
		return "", "", err
	}
	initrd = filepath.Join(dir, "initramfs.gz")
	if err := os.WriteFile(initrd, img.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	return kernels[0], initrd, nil
}

// StaticBinary builds pkg as a static Linux binary at out, with the environment a kernel's
// program is built with (internal/libos.BuildEnv), and returns its bytes.
func StaticBinary(ctx context.Context, pkg, out string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), libos.BuildEnv()...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("linuxvm: go build %s: %v\n%s", pkg, err, b)
	}
	return os.ReadFile(out)
}
