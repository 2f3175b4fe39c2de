package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestRunMemoryLimit checks that too much memory is refused before anything is built, with one
// message: on the command line, and in config.Kernel for -target xen (after the analysis that
// reads it, before go build).
func TestRunMemoryLimit(t *testing.T) {
	t.Parallel()
	r := run(t, moduleRoot(), nil, "run", "-m", "100000", "./examples/hello")
	if want := "unikgen: -m 100000: at most 4096 MiB: the kernel uses only guest memory below 4 GiB\n"; r.code != 2 || r.stderr != want {
		t.Errorf("run -m 100000: exit %d, stderr %q; want exit 2, stderr %q", r.code, r.stderr, want)
	}
	dir := appModule(t, `package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{Target: config.Xen, MemoryMiB: 2000}

func main() {}
`)
	r = run(t, dir, nil, "run", "./cmd/app")
	want := "unikgen: config.Kernel.MemoryMiB 2000: -target xen runs the domain in a nested Xen machine of 2048 MiB, 768 of them for dom0: at most 1200 MiB\n"
	if r.code != 2 || r.stderr != want {
		t.Errorf("run of a Xen program with MemoryMiB 2000: exit %d, stderr %q; want exit 2, stderr %q", r.code, r.stderr, want)
	}
	// Under QEMU too, config.Kernel.MemoryMiB (which run gives the guest) is checked.
	dir = appModule(t, "package main\n\nimport \"github.com/unikgen/unikgen/config\"\n\nvar _ = config.Kernel{MemoryMiB: 5000}\n\nfunc main() {}\n")
	r = run(t, dir, nil, "run", "./cmd/app")
	want = "unikgen: config.Kernel.MemoryMiB 5000: at most 4096 MiB: the kernel uses only guest memory below 4 GiB\n"
	if r.code != 2 || r.stderr != want {
		t.Errorf("run of a program with MemoryMiB 5000: exit %d, stderr %q; want exit 2, stderr %q", r.code, r.stderr, want)
	}
}

// TestRunQEMUFails runs a QEMU that fails at once, as QEMU does when it cannot reserve the guest's
// memory: its message appears once, followed by unikgen's.
func TestRunQEMUFails(t *testing.T) {
	t.Parallel()
	goTool := testenv.NeedGo(t)
	bin := t.TempDir()
	const msg = "qemu-system-x86_64: cannot set up guest memory 'microvm.ram': Cannot allocate memory"
	script := "#!/bin/sh\necho \"" + msg + "\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, testenv.QEMU), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := run(t, moduleRoot(), []string{"PATH=" + bin + ":" + filepath.Dir(goTool)}, "run", "-generic", "./examples/hello")
	want := msg + "\nunikgen: QEMU exited with status 1: its message is above\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 1, stderr %q", r.code, r.stderr, want)
	}
}

// TestRunNoTimeout runs with -timeout 0, which means no limit.
func TestRunNoTimeout(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	r := run(t, moduleRoot(), nil, "run", "-timeout", "0", "./examples/hello")
	if r.code != 0 || r.stdout != "Hello, unikernel!\n" {
		t.Errorf("run -timeout 0: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCheckTimeout(t *testing.T) {
	for d, ok := range map[string]bool{"0s": true, "1ns": true, "-1ns": false, "-1h0m0s": false} {
		dur, _ := time.ParseDuration(d)
		if err := checkTimeout(dur); (err == nil) != ok {
			t.Errorf("checkTimeout(%s) = %v", d, err)
		}
	}
}
