package xentest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/testenv"
)

// TestRealXen builds testdata/xsprobe into a kernel and boots it as a PVH domain of real Xen 4.17
// nested in QEMU (internal/host/xenlab): the drivers' hypercalls, shared_info, event channels, PV
// console, xenstore client (watch events, transaction, ERROR replies) and the exit-status protocol
// against the real xenconsoled and xenstored. Skipped when QEMU is missing and with -short.
func TestRealXen(t *testing.T) {
	if testing.Short() {
		t.Skip("boots nested Xen (about 15 s); skipped with -short")
	}
	testenv.NeedXen(t, xenlab.CheckHost(context.Background(), ""))
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cache, err := xenlab.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := xenlab.EnsureCache(ctx, cache, os.Stderr); err != nil {
		t.Fatalf("building the Xen harness: %v", err)
	}
	img := filepath.Join(t.TempDir(), "xsprobe.xen")
	if _, err := build.Build(ctx, build.Options{Dir: root, Package: "./drivers/xen/xentest/testdata/xsprobe", Output: img}); err != nil {
		t.Fatalf("building xsprobe: %v", err)
	}
	res, err := xenlab.Run(ctx, xenlab.RunOptions{Image: img, CacheDir: cache, Wait: 60 * time.Second, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("guest %.2f s, shutdown %s, status %d (%s)", res.GuestTime.Seconds(), res.Shutdown, res.ExitStatus, res.StatusSource)
	want := "domid read: true\n" +
		"event data/probe tok\n" +
		"read back: value-1\n" +
		"event data/probe/key tok\n" +
		"missing key is ENOENT: true\n" +
		"after transaction: value-1+tx\n" +
		"directory: key tx\n" +
		"removed: true\n" +
		"xen_version matches cpuid: true\n" +
		"feature hvm_callback_vector: true\n" +
		"pvclock advances across a 20 ms sleep: true\n" +
		"wall clock after 2020: true\n" +
		"gnttab frames: 1 rc: 0\n" +
		"grant: 8 true revoke: true used: 0\n" +
		"alloc_unbound ok: true close: 0\n" +
		bigLine() +
		"done\n"
	var got strings.Builder
	for _, line := range strings.SplitAfter(string(res.Console), "\n") {
		if strings.HasPrefix(line, "info: ") {
			t.Log(strings.TrimSpace(line))
		} else {
			got.WriteString(line)
		}
	}
	if got.String() != want {
		t.Errorf("console:\n%s\nwant:\n%s", res.Console, want)
	}
	if !res.HasExitStatus || res.ExitStatus != 3 || res.Shutdown != "poweroff" {
		t.Errorf("exit status %d (has %v, from %s), shutdown %q; want 3 from a poweroff",
			res.ExitStatus, res.HasExitStatus, res.StatusSource, res.Shutdown)
	}
}

// bigLine is the line xsprobe writes in one go to overflow the console ring.
func bigLine() string {
	var b strings.Builder
	for i := 0; b.Len() < 3*2048; i++ {
		fmt.Fprintf(&b, "%05d ", i)
	}
	return b.String() + "\n"
}
