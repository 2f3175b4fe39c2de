package boottest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// kernelCases are behaviours of the library OS itself, which have no Linux counterpart to compare
// with (TestLinux): faults in the kernel, memory exhaustion, the clocks, a heap that allocates far
// more than the machine has, an unsupported call that must fail cleanly.
var kernelCases = []struct {
	name   string
	pkg    string
	mem    int      // MiB; 0 is the default
	env    []string // KEY=VALUE on the kernel command line
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
	// 40 MiB live, 160 MiB allocated: the runtime keeps the heap within the machine because the
	// kernel sets GOMEMLIMIT from the memory it found (without it, 64 MiB ran out of memory).
	{name: "memlimit", pkg: "internal/boottest/testdata/memlimit", status: 0,
		check: memLimit(qemu.DefaultMemoryMiB, "allocated 160 MiB with 40 MiB live")},
	{name: "memlimit-64", pkg: "internal/boottest/testdata/memlimit", mem: 64, status: 0,
		check: memLimit(64, "allocated 160 MiB with 40 MiB live")},
	{name: "memlimit-too-small", pkg: "internal/boottest/testdata/memlimit", mem: 40, status: 2,
		check: contains("unikgen: out of memory: ", "fatal error: unikgen: out of memory\n")},
	{name: "memlimit-user", pkg: "internal/boottest/testdata/memlimit", env: []string{"GOMEMLIMIT=100MiB"}, status: 0,
		check: contains("memory limit: 100 MiB\n", "allocated 160 MiB with 40 MiB live")},
}

// memLimit checks that the program ran with a soft memory limit a little below the machine's
// memory (the kernel's and the image's share, and a reserve, taken off) and printed want.
func memLimit(memMiB int, want string) func(*testing.T, string, time.Duration) {
	return func(t *testing.T, out string, wall time.Duration) {
		contains(want)(t, out, wall)
		var limit int
		if _, err := fmt.Sscanf(out, "memory limit: %d MiB\n", &limit); err != nil {
			t.Fatalf("no memory limit line: %v; output:\n%s", err, out)
		}
		if limit < memMiB*85/100 || limit >= memMiB {
			t.Errorf("memory limit %d MiB in a %d MiB machine: want between 85%% and 100%%", limit, memMiB)
		}
	}
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
	testenv.NeedQEMU(t)
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			img := kernel(t, c.pkg) // the generic kernel: exec reaches what its analysis would refuse
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, MemoryMiB: c.mem, Env: c.env, Console: &console, Timeout: 120 * time.Second,
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
