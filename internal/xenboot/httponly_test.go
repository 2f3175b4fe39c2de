package xenboot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/testenv"
)

// HTTPOnlyEnv names the environment variable that enables TestXenHTTPOnly.
const HTTPOnlyEnv = "UNIKGEN_XEN_HTTP_ONLY"

// TestXenHTTPOnly boots only TestXen's http-server domain (examples/http under the nested Xen,
// loaded by the dom0 client), for iterating on the network path in 2-3 minutes instead of the
// whole TestXen's 5. It runs only when $UNIKGEN_XEN_HTTP_ONLY is set (to the number of requests;
// 1 means TestXen's 500): TestXen covers the same domain in CI. dom0's script (stallMonitor)
// pings the guest during the load; when it stops answering, it dumps the guest's state while it
// is stalled: rip samples, registers, the HVM context with the local APIC, the library OS's
// variables and thread slots (addresses from the image's symbol table), Xen's view of the vCPU.
// On failure the image is kept beside the logs as kernel.xen, for go tool addr2line.
func TestXenHTTPOnly(t *testing.T) {
	n := os.Getenv(HTTPOnlyEnv)
	if n == "" {
		t.Skip("set " + HTTPOnlyEnv + " to run")
	}
	if n == "1" {
		n = "500"
	}
	cache, err := xenlab.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	testenv.NeedXen(t, xenlab.CheckHost(context.Background(), cache))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := xenlab.EnsureCache(ctx, cache, testenv.LogWriter(t)); err != nil {
		t.Fatalf("building the nested-Xen harness: %v", err)
	}
	web := xenKernel(t, "examples/http", config.Xen)
	dom0 := "CMD=\"/bin/dom0client load -n " + n + " -c 8 -want 'Hello from a unikernel!' -wait 30s http://$GUEST_IP/\"\n" +
		stallMonitor + "xl destroy $NAME\nexit $rc\n"
	start := time.Now()
	res, err := xenlab.Run(ctx, xenlab.RunOptions{Image: web, XLConfig: xenNetXL(t, web), Wait: 300 * time.Second, Dom0: dom0,
		CacheDir: cache, Files: map[string][]byte{"bin/dom0client": dom0Client(t), "bin/stallsyms": stallSymbolTable(t, web)}, Console: testenv.LogWriter(t), Log: testenv.LogWriter(t)})
	t.Logf("one harness boot with the http domain: %.1f s", time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("xenlab.Run: %v (logs in %s)", err, res.WorkDir)
	}
	out := string(res.Dom0Output)
	if res.Dom0Status != 0 || !strings.Contains(out, "load: "+n+" requests over 8 connections") || strings.Contains(out, "first error") {
		if b, err := os.ReadFile(web); err == nil {
			os.WriteFile(filepath.Join(res.WorkDir, "kernel.xen"), b, 0o644) // for go tool addr2line
		}
		t.Errorf("dom0 client: status %d, want 0 and every request answered; dom0 output:\n%s\nguest console:\n%s\nlogs kept in %s", res.Dom0Status, out, res.Console, res.WorkDir)
		return
	}
	if i := strings.Index(out, "load: "); i >= 0 {
		t.Log(strings.SplitN(out[i:], "\n", 2)[0])
	}
	os.RemoveAll(res.WorkDir)
}
