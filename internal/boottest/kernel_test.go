package boottest

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/qemu"
)

// kernelCases are behaviours of the library OS itself, which have no Linux counterpart to compare
// with (TestLinux): faults in the kernel, memory exhaustion, the clocks, a heap that allocates far
// more than the machine has, an unsupported call that must fail cleanly.
var kernelCases = []struct {
	name   string
	pkg    string
	mem    int
	args   func(t *testing.T, image string) []string // os.Args[1:], from the built image
	status int
	check  func(t *testing.T, out string, wall time.Duration)
}{
	{name: "kernel-fault", pkg: "internal/boottest/testdata/kfault", status: 2,
		check: contains("about to pass a bad pointer to the kernel\n", "unikgen: page fault in kernel",
			"pc  0x", "stack trace", "fatal error: unikgen: page fault in kernel\n")},
	{name: "out-of-memory", pkg: "internal/boottest/testdata/oom", mem: 24, status: 2,
		check: contains("unikgen: out of memory: ", "fatal error: unikgen: out of memory\n")},
	{name: "scavenge", pkg: "internal/boottest/testdata/scavenge", mem: 48, status: 0,
		check: contains("allocated MiB: 256\n")},
	{name: "exec", pkg: "internal/boottest/testdata/exec", status: 0,
		check: contains("exec fails: true\n")},
	{name: "clock", pkg: "internal/boottest/testdata/clock", status: 0, check: checkClock},
	{name: "random", pkg: "internal/boottest/testdata/random", status: 0,
		check: contains("crypto/rand ok: true\nmath/rand ok: true\n")},
	{name: "sse", pkg: "internal/boottest/testdata/sse", status: 0, check: contains("sse state kept: true\n")},
	{name: "zero-tail", pkg: "internal/boottest/testdata/bigbss", mem: 12, status: 0,
		check: contains("zeros: true\nwrites kept: true\n")},
	{name: "kernel-stack-guard", pkg: "internal/boottest/testdata/kguard", args: kernelStackGuard, status: 2,
		check: contains("about to pass 0x", "unikgen: page fault in kernel",
			": the guard page below a kernel stack (kernel stack overflow)\n")},
	{name: "exec-memory", pkg: "internal/boottest/testdata/execmem", status: 0,
		check: contains("mmap PROT_EXEC: permission denied\n", "mmap PROT_READ|PROT_WRITE: <nil>\n",
			"mprotect PROT_EXEC: permission denied\n", "mprotect PROT_READ: <nil>\n", "still readable: true\n")},
}

// kernelStackGuard returns the address of the guard page below the kernel stack of image: the
// first page boundary in runtime/boot's array stacks (runtime/boot.stacksBase).
func kernelStackGuard(t *testing.T, image string) []string {
	f, err := elf.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == "github.com/unikgen/unikgen/runtime/boot.stacks" {
			return []string{fmt.Sprintf("%#x", (s.Value+4095)&^4095)}
		}
	}
	t.Fatalf("%s: no symbol runtime/boot.stacks", image)
	return nil
}

func contains(want ...string) func(*testing.T, string, time.Duration) {
	return func(t *testing.T, out string, _ time.Duration) {
		for _, s := range want {
			if !strings.Contains(out, s) {
				t.Errorf("output does not contain %q; output:\n%s", s, out)
			}
		}
	}
}

// checkClock compares the guest's wall clock with the host's, and its 350 ms of sleeping with the
// time the host saw the machine run.
func checkClock(t *testing.T, out string, wall time.Duration) {
	lines := strings.Split(out, "\n")
	if len(lines) != 4 || lines[1] != "true" || lines[2] != "true" {
		t.Fatalf("output:\n%s", out)
	}
	sec, err := strconv.ParseInt(lines[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Now().Unix() - sec; d < -5 || d > 60 {
		t.Errorf("guest wall clock %d is %d s off the host's", sec, d)
	}
	if wall < 350*time.Millisecond {
		t.Errorf("the guest slept 350 ms but the machine ran only %v: its clock runs fast", wall)
	}
}

func TestKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels; skipped with -short")
	}
	if _, err := qemu.LookPath(""); err != nil {
		t.Skip("qemu-system-x86_64 not found: install qemu-system-x86 (QEMU 10; scripts/install-qemu.sh)")
	}
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			img := kernel(t, c.pkg) // the generic kernel: exec reaches what its analysis would refuse
			var args []string
			if c.args != nil {
				args = c.args(t, img)
			}
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, MemoryMiB: c.mem, Args: args, Console: &console, Timeout: 120 * time.Second,
			})
			if err != nil {
				t.Fatalf("%v; console:\n%s", err, console.String())
			}
			if res.Status != c.status {
				t.Errorf("exit status %d, want %d; output:\n%s", res.Status, c.status, console.String())
			}
			c.check(t, console.String(), res.Wall)
		})
	}
}
