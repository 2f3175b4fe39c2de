package boottest

// This file boots programs that keep data on a persistent volume (services/fs/extfs): through a
// SIGKILL of QEMU and a second boot, with images the host checks with e2fsck.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/bootcases"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// newVolume makes a fresh volume image of size bytes, as `unikgen run -volume` does.
func newVolume(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vol.img")
	bootcases.NewVolume(t, p, size)
	return p
}

// e2fsck runs e2fsck with args on img and returns its output and exit code.
func e2fsck(t *testing.T, img string, args ...string) (string, int) {
	t.Helper()
	var bin string
	for _, p := range []string{"e2fsck", "/sbin/e2fsck", "/usr/sbin/e2fsck"} {
		if b, err := exec.LookPath(p); err == nil {
			bin = b
			break
		}
	}
	if bin == "" {
		testenv.Missing(t, "e2fsck not found: install e2fsprogs")
	}
	out, err := exec.Command(bin, append(args, img)...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// killOnLine is a console that cancels a boot, which kills QEMU with SIGKILL (internal/childproc),
// once line has been printed.
type killOnLine struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	line   string
	cancel context.CancelFunc
	seen   bool
}

func (k *killOnLine) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.buf.Write(p)
	if !k.seen && strings.Contains(k.buf.String(), k.line) {
		k.seen = true
		k.cancel()
	}
	return len(p), nil
}

// TestVolume boots testdata/volume on a new volume: it saves files the safe way (write, fsync,
// rename, fsync the directory), prints "synced", and QEMU is killed with SIGKILL. The image is
// then clean for the host's e2fsck; a second boot finds every fsync'd file, and writes again;
// e2fsck finds the result clean. On microvm (virtio-mmio) and q35 (virtio-pci).
func TestVolume(t *testing.T) {
	needQEMU(t)
	_, img := buildSpecialised(t, "internal/boottest/testdata/volume", "")
	for _, machine := range []string{qemu.MicroVM, qemu.Q35} {
		t.Run(machine, func(t *testing.T) {
			vol := newVolume(t, 64<<20)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			con := &killOnLine{line: "synced\n", cancel: cancel}
			_, err := qemu.Run(ctx, qemu.Config{Kernel: img, Machine: machine, Timeout: 180 * time.Second,
				Drives: []qemu.Drive{{File: vol}}, Args: []string{"write"}, Console: con})
			out := con.buf.String()
			if !con.seen || !errors.Is(err, context.Canceled) {
				t.Fatalf("first boot did not reach \"synced\" (%v); output:\n%s", err, out)
			}
			for _, s := range bootcases.VolumeWritten {
				if !strings.Contains(out, s) {
					t.Errorf("first boot: output does not contain %q", s)
				}
			}
			if strings.Contains(out, "save blob:") {
				t.Errorf("first boot: a save failed")
			}
			// Killed after its fsyncs: the file system on the image is complete and clean,
			// without replaying the journal (e2fsck -n skips that).
			if msg, code := e2fsck(t, vol, "-fn"); code != 0 {
				t.Errorf("e2fsck -fn after the kill: exit %d\n%s", code, msg)
			}
			out, status := bootConsole(t, qemu.Config{Kernel: img, Machine: machine, Drives: []qemu.Drive{{File: vol}}, Args: []string{"check"}})
			if status != 0 {
				t.Errorf("second boot: exit status %d", status)
			}
			for _, s := range bootcases.VolumeChecked {
				if !strings.Contains(out, s) {
					t.Errorf("second boot: output does not contain %q", s)
				}
			}
			if !strings.Contains(out, bootcases.VolumeEntries) {
				t.Errorf("second boot: the directory does not list the saved files")
			}
			if t.Failed() {
				t.Logf("second boot output:\n%s", out)
			}
			if msg, code := e2fsck(t, vol, "-fn"); code != 0 {
				t.Errorf("e2fsck -fn after the second boot: exit %d\n%s", code, msg)
			}
		})
	}
}

// TestVolumeBadImage: a volume image that holds no usable file system (zeros, a truncated
// image, ext4) stops the boot with an error that says which volume and why, not a kernel fault.
func TestVolumeBadImage(t *testing.T) {
	needQEMU(t)
	_, img := buildSpecialised(t, "internal/boottest/testdata/volume", "")
	good := newVolume(t, 16<<20)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"zeros", make([]byte, 16<<20), "no ext2/ext3 file system: the superblock's magic number is 0x0000"},
		{"truncated", data[:8<<20], "the device is truncated: it has 8388608 bytes, the file system needs 16777216"},
		{"bad-descriptor", func() []byte {
			b := append([]byte(nil), data...)
			// The first group descriptor (block 2, 1 KiB blocks below 32 MiB): its inode table
			// beyond the end.
			copy(b[2048+8:], []byte{0xff, 0xff, 0xff, 0x00})
			return b
		}(), "corrupt group descriptor 0: inode table at block 16777215"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vol := filepath.Join(t.TempDir(), "bad.img")
			if err := os.WriteFile(vol, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, status := bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}})
			want := "volume /data on /dev/vda (virtio-mmio"
			if !strings.Contains(out, want) || !strings.Contains(out, c.want) {
				t.Errorf("output does not say %q ... %q:\n%s", want, c.want, out)
			}
			if status != 2 {
				t.Errorf("exit status %d, want 2 (the boot stops with the error)", status)
			}
			if strings.Contains(out, "statfs:") {
				t.Errorf("the program ran on a volume that did not mount")
			}
			if strings.Contains(out, "did not sync") {
				t.Errorf("the panic's exit waited for the file service:\n%s", out)
			}
		})
	}
}

// TestExitSync boots testdata/exitsync on a new volume: it writes files without fsync and exits
// at once (before the 5 s commit timer). The exit syncs the volume (runtime/sys/exit.go): the
// host's e2fsck finds the image clean and a second boot reads the files back.
func TestExitSync(t *testing.T) {
	needQEMU(t)
	_, img := buildSpecialised(t, "internal/boottest/testdata/exitsync", "")
	vol := newVolume(t, 16<<20)
	out, status := bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"write"}})
	if status != 0 || !strings.Contains(out, "big: <nil>\nexiting\n") {
		t.Fatalf("first boot: exit status %d, want 0 after \"exiting\"; output:\n%s", status, out)
	}
	if msg, code := e2fsck(t, vol, "-fn"); code != 0 {
		t.Errorf("e2fsck -fn after the exit: exit %d\n%s", code, msg)
	}
	out, status = bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"check"}})
	for _, s := range []string{"notes: \"kept at exit\\n\" <nil>\n", "big: 300000 bytes ok=true <nil>\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("second boot: output does not contain %q", s)
		}
	}
	if status != 0 || t.Failed() {
		t.Errorf("second boot: exit status %d; output:\n%s", status, out)
	}
	// With GOMAXPROCS=1 the relay server has no P while the exiting thread holds the only one:
	// the exit gives up after sys.ExitStartBound (1 s), not the 10 s bound.
	out, status = bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"write"}, Env: []string{"GOMAXPROCS=1"}})
	if status != 0 || !strings.Contains(out, "exiting\nunikgen: exit: the file service did not run within 1 s") {
		t.Errorf("GOMAXPROCS=1 boot: exit status %d, want 0 after the 1 s bound; output:\n%s", status, out)
	}
	// A panic stops every other goroutine (runtime.freezetheworld): the exit must not wait for
	// the file service (runtime/sys.goCrashing).
	out, status = bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"panic"}})
	if status != 2 || !strings.Contains(out, "panic: on purpose") || strings.Contains(out, "did not sync") {
		t.Errorf("panic boot: exit status %d, want 2 at once, without waiting for the sync; output:\n%s", status, out)
	}
}

// TestBolt boots testdata/bolt on a new volume: flock, a read-only shared mmap that follows
// pwrite and ftruncate, PROT_WRITE refused, munmap, on /data and /tmp; then a go.etcd.io/bbolt
// database on /data (flock, pwrite, fdatasync, mmap) gets keys, and a second boot reads them.
func TestBolt(t *testing.T) {
	needQEMU(t)
	_, img := buildSpecialised(t, "internal/boottest/testdata/bolt", "")
	vol := newVolume(t, 16<<20)
	out, status := bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"write"}})
	for _, p := range []string{"/data/raw", "/tmp/raw"} {
		for _, s := range []string{
			" flock: <nil>\n",
			" mapped: hello mmap true true\n",
			" after pwrite: HELLO mmap tail edge\n",
			" after truncate: true true\n",
			" after path truncate: true true\n",
			" mmap PROT_WRITE: no such device\n",
			" mprotect PROT_WRITE: permission denied\n",
			" munmap: <nil>\n",
		} {
			if !strings.Contains(out, p+s) {
				t.Errorf("first boot: output does not contain %q", p+s)
			}
		}
	}
	for _, s := range []string{"update: <nil>\n", "keys: 300 ok=true\nview: <nil>\nclose: <nil>\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("first boot: output does not contain %q", s)
		}
	}
	if status != 0 || t.Failed() {
		t.Fatalf("first boot: exit status %d; output:\n%s", status, out)
	}
	out, status = bootConsole(t, qemu.Config{Kernel: img, Drives: []qemu.Drive{{File: vol}}, Args: []string{"check"}})
	if s := "keys: 300 ok=true\nview: <nil>\nclose: <nil>\n"; status != 0 || !strings.Contains(out, s) {
		t.Errorf("second boot: exit status %d, output does not contain %q:\n%s", status, s, out)
	}
	if msg, code := e2fsck(t, vol, "-fn"); code != 0 {
		t.Errorf("e2fsck -fn after the second boot: exit %d\n%s", code, msg)
	}
}
