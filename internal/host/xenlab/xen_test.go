package xenlab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
)

// harness builds (or reuses) the cache for an integration test. Without QEMU, or without the host
// tools and apt lists the cache needs, it skips (fails under UNIKGEN_TEST_STRICT, as in CI); a
// cache that still cannot be built (no network) fails the test.
func harness(t *testing.T) (cache string) {
	t.Helper()
	if testing.Short() {
		t.Skip("nested Xen takes about 15 s per boot; skipped with -short")
	}
	cache, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	testenv.NeedXen(t, CheckHost(context.Background(), cache))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := EnsureCache(ctx, cache, testenv.LogWriter(t)); err != nil {
		t.Fatalf("building the Xen harness cache failed: %v", err)
	}
	t.Logf("cache %s ready after %.1f s", cache, time.Since(start).Seconds())
	return cache
}

// TestXenBootTestKernel boots the generated PVH kernel (pvhkernel_test.go) under real Xen: it finds
// Xen through CPUID, installs the hypercall page, prints a line on the PV console and shuts down.
// It publishes no exit status, so the harness must report none, with the shutdown reason the
// kernel asked for and its console line.
func TestXenBootTestKernel(t *testing.T) {
	cache := harness(t)
	for _, c := range []struct {
		name   string
		reason uint32
		want   string
	}{
		{"poweroff", shutdownPoweroff, "poweroff"},
		{"crash", shutdownCrash, "crash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := "xenlab test kernel: hello from PVH, shutting down with reason " + c.name + "\n"
			img := filepath.Join(t.TempDir(), "test kernel, "+c.name+".elf") // a space and a comma on purpose
			if err := os.WriteFile(img, pvhKernel(msg, c.reason, true), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := Run(context.Background(), RunOptions{
				Image: img, CacheDir: cache, Wait: 30 * time.Second, Timeout: 5 * time.Minute,
				WorkDir: filepath.Join(t.TempDir(), "run dir,1"), Log: testenv.LogWriter(t),
				XLConfig: "name = \"xltest-" + c.name + "\"\ntype = \"pvh\"\nkernel = \"ignored\"\nmemory = 32\nvcpus = 1\non_crash = \"destroy\"\n",
			})
			wall := time.Since(start)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			t.Logf("wall %.1f s (QEMU %.1f s), guest %.2f s from xl create to its end; shutdown %s; logs in %s",
				wall.Seconds(), res.WallTime.Seconds(), res.GuestTime.Seconds(), res.Shutdown, res.WorkDir)
			if string(res.Console) != msg {
				t.Errorf("console %q, want %q", res.Console, msg)
			}
			if res.Shutdown != c.want {
				t.Errorf("shutdown %q, want %q", res.Shutdown, c.want)
			}
			var ge *GuestError
			if _, err := res.Status(); !errors.As(err, &ge) || ge.Shutdown != c.want {
				t.Errorf("Status() = %v, want a GuestError for %s", err, c.want)
			}
			if res.HasExitStatus || res.ExitStatus != NoExitStatus {
				t.Errorf("exit status %d (%s), want none", res.ExitStatus, res.StatusSource)
			}
			if res.Name != "xltest-"+c.name || res.Domid != 1 || res.XLCreateRC != 0 {
				t.Errorf("name %q domid %d xl create rc %d", res.Name, res.Domid, res.XLCreateRC)
			}
			if res.GuestTime <= 0 || res.GuestTime > 30*time.Second {
				t.Errorf("guest time %v", res.GuestTime)
			}
			if g, err := os.ReadFile(res.GuestLog); err != nil || string(g) != msg {
				t.Errorf("guest log %q, %v", g, err)
			}
			if _, err := os.Stat(filepath.Join(res.WorkDir, "initrd.gz")); err == nil {
				t.Error("the run's initrd.gz was not removed")
			}
		})
	}
}

// TestXenErrors checks the harness's failures: a kernel without the PVH note (xl create fails)
// and a timeout (QEMU killed).
func TestXenErrors(t *testing.T) {
	cache := harness(t)
	img := filepath.Join(t.TempDir(), "nonote.elf")
	os.WriteFile(img, pvhKernel("never\n", shutdownPoweroff, false), 0o644)

	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		res, err := Run(context.Background(), RunOptions{Image: img, CacheDir: cache, Timeout: 3 * time.Second, WorkDir: t.TempDir()})
		var te *TimeoutError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), res.XenLog) {
			t.Fatalf("Run with a 3 s timeout: %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Run returned after %v", d)
		}
		t.Logf("error: %.200s", err)
	})
	t.Run("no PVH note", func(t *testing.T) {
		res, err := Run(context.Background(), RunOptions{Image: img, CacheDir: cache, Wait: 10 * time.Second, Timeout: 5 * time.Minute, WorkDir: t.TempDir()})
		var ce *CreateError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "xl create failed") {
			t.Fatalf("Run of a kernel without PVH note: %v, want xl create failure", err)
		}
		if res.XLCreateRC == 0 || res.HasExitStatus {
			t.Errorf("xl create rc %d, status %v", res.XLCreateRC, res.HasExitStatus)
		}
		if !strings.Contains(err.Error(), "Invalid kernel") && !strings.Contains(err.Error(), "not 32bit") {
			t.Logf("error does not show libxc's reason: %v", err)
		}
		t.Logf("wall %.1f s; error: %v", res.WallTime.Seconds(), err)
	})
}
