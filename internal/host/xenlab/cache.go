package xenlab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// files are the scripts baked into the harness: build-cache.sh builds it, dom0-init becomes dom0's
// /init, block-simple and vif-simple are the hotplug scripts named in xl configs
// (script=/etc/xen/scripts/vif-simple, script=/etc/xen/scripts/block-simple).
//
//go:embed files/build-cache.sh files/dom0-init files/block-simple files/vif-simple
var files embed.FS

var fileNames = []string{"build-cache.sh", "dom0-init", "block-simple", "vif-simple"}

// CacheEnv names an environment variable that, when set, overrides DefaultCacheDir.
const CacheEnv = "UNIKGEN_XENLAB_CACHE"

// DefaultCacheDir returns the cache directory used when none is given: $UNIKGEN_XENLAB_CACHE, else
// $XDG_CACHE_HOME/unikgen/xenlab, else ~/.cache/unikgen/xenlab.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("xenlab: no cache directory: %w (set %s)", err, CacheEnv)
	}
	return filepath.Join(d, "unikgen", "xenlab"), nil
}

// Cache layout under the cache directory:
//
//	debs/               the downloaded .deb packages; debs/.done lists them (delete debs/ to refresh)
//	harness-<key>/      xen.elf, vmlinuz, dom0.cpio.gz and a stamp file; <key> hashes the embedded
//	                    scripts and the package list, so changing dom0-init rebuilds the initramfs
//	.lock               flock serialising builds between processes
const (
	debsDir   = "debs"
	doneFile  = ".done"
	stampFile = "stamp"
)

// harnessDir returns the harness directory for the current scripts and downloaded packages, and
// whether it is complete.
func harnessDir(dir string) (string, bool, error) {
	list, err := os.ReadFile(filepath.Join(dir, debsDir, doneFile))
	if err != nil {
		return "", false, err
	}
	key, err := harnessKey(list, func(n string) ([]byte, error) { return files.ReadFile("files/" + n) })
	if err != nil {
		return "", false, err
	}
	d := filepath.Join(dir, "harness-"+key)
	_, err = os.Stat(filepath.Join(d, stampFile))
	return d, err == nil, nil
}

// harnessKey hashes the scripts baked into the harness and the list of downloaded packages.
func harnessKey(debList []byte, read func(name string) ([]byte, error)) (string, error) {
	h := sha256.New()
	for _, n := range fileNames {
		b, err := read(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	h.Write(debList)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// EnsureCache makes sure dir (DefaultCacheDir when empty) holds a complete harness: it downloads the
// Debian packages once (Xen 4.17, the bookworm 6.1 dom0 kernel, the Xen tools, busybox) with
// apt-get download, and assembles xen.elf, vmlinuz and the dom0 initramfs from them and from the
// embedded scripts. A cache that is already complete for the current scripts costs a few stat calls
// and prints nothing; otherwise every step is announced on log (nil: discarded).
//
// It needs an x86-64 Debian (bookworm) host whose apt package lists are present (apt-get update) and
// the tools apt-get, apt-cache, dpkg-deb, cpio, gzip, zcat, ldd, bash, ip, losetup and flock; when
// one is missing the error says which and how to fix it. Concurrent callers (other processes too)
// are serialised by a lock file in dir.
func EnsureCache(ctx context.Context, dir string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, ok, _ := harnessDir(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("xenlab: cache directory: %w", err)
	}
	unlock, err := lockDir(ctx, dir, log)
	if err != nil {
		return err
	}
	defer unlock()

	start := time.Now()
	built := false
	if _, err := os.Stat(filepath.Join(dir, debsDir, doneFile)); err != nil {
		fmt.Fprintf(log, "xenlab: building the nested-Xen test harness in %s (once; later runs reuse it)\n", dir)
		built = true
		if err := download(ctx, dir, log); err != nil {
			return err
		}
	}
	hdir, ok, err := harnessDir(dir)
	if err != nil {
		return fmt.Errorf("xenlab: cache %s: %w", dir, err)
	}
	if !ok {
		if !built {
			fmt.Fprintf(log, "xenlab: (re)building the nested-Xen harness in %s (packages already downloaded)\n", hdir)
		}
		built = true
		if err := assemble(ctx, dir, hdir, log); err != nil {
			return err
		}
		pruneHarnesses(dir, hdir)
	}
	if built {
		fmt.Fprintf(log, "xenlab: harness ready in %.1f s: %s\n", time.Since(start).Seconds(), hdir)
	}
	return nil
}

// CheckHost reports what keeps the harness from running on this machine: QEMU missing
// (*NotFoundError), or, when the cache in dir ("" is DefaultCacheDir) holds no built harness yet,
// the host tools and apt package lists that EnsureCache needs to build it. It does not try the
// network (the download may still fail). nil means Run can be used after EnsureCache.
func CheckHost(ctx context.Context, dir string) error {
	if _, err := exec.LookPath(QEMU); err != nil {
		return &NotFoundError{Name: QEMU}
	}
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return err
		}
		dir = d
	}
	if _, ok, _ := harnessDir(dir); ok {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, debsDir, doneFile)); err != nil {
		if err := checkTools("apt-get", "apt-cache", "bash"); err != nil {
			return err
		}
		if err := checkApt(ctx); err != nil {
			return err
		}
	}
	return checkTools(assembleTools...)
}

// lockDir takes an exclusive flock on dir/.lock, waiting (and saying so) while another process
// holds it.
func lockDir(ctx context.Context, dir string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("xenlab: cache lock: %w", err)
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("xenlab: cache lock %s: %w", f.Name(), err)
		}
		if !said {
			fmt.Fprintf(log, "xenlab: waiting for another process building the cache in %s\n", dir)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("xenlab: waiting for the cache lock: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkTools reports the missing host tools with the package to install.
func checkTools(names ...string) error {
	pkg := map[string]string{
		"apt-get": "apt", "apt-cache": "apt", "dpkg-deb": "dpkg", "cpio": "cpio", "gzip": "gzip",
		"zcat": "gzip", "ldd": "libc-bin", "bash": "bash", "ip": "iproute2", "losetup": "mount",
		"flock": "util-linux",
	}
	var missing, pkgs []string
	for _, n := range names {
		if _, err := lookPathSbin(n); err != nil {
			missing = append(missing, n)
			pkgs = append(pkgs, pkg[n])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("xenlab: building the Xen harness needs %s, not found in PATH (or /usr/sbin, /sbin): "+
		"install with `apt-get install %s` (scripts/install-qemu.sh installs cpio and QEMU)",
		strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

func lookPathSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// checkApt fails with a clear message when apt's package lists do not know the Xen packages.
func checkApt(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "apt-cache", "policy", "xen-hypervisor-4.17-amd64", "linux-image-amd64").CombinedOutput()
	s := string(out)
	if err != nil || !strings.Contains(s, "xen-hypervisor-4.17-amd64:") || strings.Contains(s, "Candidate: (none)") ||
		!strings.Contains(s, "linux-image-amd64:") {
		return fmt.Errorf("xenlab: apt cannot find the Debian packages xen-hypervisor-4.17-amd64 and linux-image-amd64: "+
			"the apt package lists are missing or stale (run `apt-get update` as root; this needs Debian bookworm sources)\n"+
			"apt-cache policy said: %s", strings.TrimSpace(s))
	}
	return nil
}

func download(ctx context.Context, dir string, log io.Writer) error {
	if err := checkTools("apt-get", "apt-cache", "bash"); err != nil {
		return err
	}
	if err := checkApt(ctx); err != nil {
		return err
	}
	start := time.Now()
	tmp := filepath.Join(dir, debsDir+".tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := runScript(ctx, log, "download", tmp); err != nil {
		return fmt.Errorf("xenlab: downloading the packages into %s failed: %w", tmp, err)
	}
	if err := os.Rename(filepath.Join(tmp, doneFile+".tmp"), filepath.Join(tmp, doneFile)); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	fmt.Fprintf(log, "xenlab: downloaded %d packages, %s, in %.1f s\n", len(debs), sizeOf(debs...), time.Since(start).Seconds())
	final := filepath.Join(dir, debsDir)
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// assembleTools are the host tools that build the harness from the downloaded packages.
var assembleTools = []string{"dpkg-deb", "cpio", "gzip", "zcat", "ldd", "bash", "ip", "losetup", "flock"}

func assemble(ctx context.Context, dir, hdir string, log io.Writer) error {
	if err := checkTools(assembleTools...); err != nil {
		return err
	}
	start := time.Now()
	tmp := hdir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "files"), 0o755); err != nil {
		return err
	}
	for _, n := range fileNames {
		b, _ := files.ReadFile("files/" + n)
		if err := os.WriteFile(filepath.Join(tmp, "files", n), b, 0o755); err != nil {
			return err
		}
	}
	if err := runScript(ctx, log, "assemble", filepath.Join(dir, debsDir), tmp, filepath.Join(tmp, "files")); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("xenlab: assembling the harness in %s failed: %w", tmp, err)
	}
	var made []string
	for _, n := range []string{"xen.elf", "vmlinuz", "dom0.cpio.gz"} {
		if st, err := os.Stat(filepath.Join(tmp, n)); err != nil || st.Size() == 0 {
			os.RemoveAll(tmp)
			return fmt.Errorf("xenlab: assembling the harness produced no %s", n)
		}
		made = append(made, n+" "+sizeOf(filepath.Join(tmp, n)))
	}
	fmt.Fprintf(log, "xenlab: assembled in %.1f s: %s\n", time.Since(start).Seconds(), strings.Join(made, ", "))
	stamp := fmt.Sprintf("built %s by internal/host/xenlab\n", time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(tmp, stampFile), []byte(stamp), 0o644); err != nil {
		return err
	}
	os.RemoveAll(hdir)
	return os.Rename(tmp, hdir)
}

// sizeOf returns the total size of the files, in MB ("12.3 MB").
func sizeOf(files ...string) string {
	var n int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// pruneHarnesses removes harness directories of other script versions that were not used for an
// hour (a concurrent run of an older checkout may still be using a recent one).
func pruneHarnesses(dir, keep string) {
	old, _ := filepath.Glob(filepath.Join(dir, "harness-*"))
	for _, d := range old {
		if d == keep {
			continue
		}
		if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
}

// runScript runs the embedded build-cache.sh in its own process group, streaming its output to log;
// cancelling ctx kills that group (the script and the apt/dpkg processes it started).
func runScript(ctx context.Context, log io.Writer, args ...string) error {
	script, _ := files.ReadFile("files/build-cache.sh")
	f, err := os.CreateTemp("", "xenlab-build-*.sh")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(script); err != nil {
		f.Close()
		return err
	}
	f.Close()
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, "bash", append([]string{f.Name()}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return fmt.Errorf("%v; last output:\n%s", err, tail.String())
	}
	return nil
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append(t.b[:0], t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(bytes.TrimSpace(t.b)) }
