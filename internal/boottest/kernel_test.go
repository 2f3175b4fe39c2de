package boottest

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/image"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// kernelCases are behaviours of the library OS itself, which have no Linux counterpart to compare
// with (TestLinux): faults in the kernel, memory exhaustion, the clocks, a heap that allocates far
// more than the machine has, an unsupported call that must fail cleanly.
var kernelCases = []struct {
	name   string
	pkg    string
	mem    int                                       // MiB; 0 is the default
	env    []string                                  // KEY=VALUE on the kernel command line
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
	{name: "zero-tail", pkg: "internal/boottest/testdata/bigbss", mem: 12, status: 0,
		check: contains("zeros: true\nwrites kept: true\n")},
	{name: "kernel-stack-guard", pkg: "internal/boottest/testdata/kguard", args: kernelStackGuard, status: 2,
		check: contains("about to pass 0x", "unikgen: page fault in kernel",
			": the guard page below a kernel stack (kernel stack overflow)\n")},
	{name: "exec-memory", pkg: "internal/boottest/testdata/execmem", status: 0,
		check: contains("mmap PROT_EXEC: permission denied\n", "mmap PROT_READ|PROT_WRITE: <nil>\n",
			"mprotect PROT_EXEC: permission denied\n", "mprotect PROT_READ: <nil>\n", "still readable: true\n")},
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

// kernelStackGuard returns the address of the guard page below the kernel stack of image: the
// first page boundary in runtime/boot's array stacks (runtime/boot.stacksBase).
func kernelStackGuard(t *testing.T, image string) []string {
	for _, s := range imageSymbols(t, image) {
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
	testenv.NeedBoot(t, "boots kernels")
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var img string
			if c.name == "exec" {
				img = kernel(t, c.pkg) // the generic kernel: exec reaches what its analysis would refuse
			} else {
				img = specialised(t, c.pkg) // as unikgen build makes it
			}
			var args []string
			if c.args != nil {
				args = c.args(t, img)
			}
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, MemoryMiB: c.mem, Env: c.env, Args: args, Console: &console, Timeout: 120 * time.Second,
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

// TestNotEnoughMemory boots hello in machines too small for it, bypassing the CLI's check. When
// the RAM does not even hold the image (3 and 4 MiB: it ends above 4 MiB), the PVH entry must say
// so on the UART before it touches the image's data; when the image fits but too few frames are
// left for the kernel and the Go runtime to start (runtime/minmem), bootMain must. Both end with
// status 2, not with a triple fault or a hang. (Below 3 MiB the image's text is not in RAM
// either, and no kernel code runs at all: there only the CLI's check helps.)
func TestNotEnoughMemory(t *testing.T) {
	qemuBin := testenv.NeedBoot(t, "boots kernels")
	// The specialised image: the generic one carries every library-OS component, and its text
	// alone runs past 4 MiB.
	img := specialised(t, "examples/hello")
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	end, err := image.LoadEnd(b)
	if err != nil {
		t.Fatal(err)
	}
	if textEnd := imageTextEnd(t, img); textEnd > 3<<20 || end <= 4<<20 {
		t.Fatalf("the cases below need the text to end under 3 MiB and the image above 4 MiB; text ends at %#x, image at %#x", textEnd, end)
	}
	minMiB, err := image.MinMemoryMiB(b)
	if err != nil {
		t.Fatal(err)
	}
	// QEMU takes -m in KiB too; Config.MemoryMiB does not: a wrapper rewrites the -m value.
	wrapper := filepath.Join(t.TempDir(), "qemu")
	script := "#!/bin/sh\nfor a do\n\tshift\n\tif [ \"$prev\" = -m ]; then a=\"$UNIKGEN_TEST_MEM\"; fi\n\tprev=$a\n\tset -- \"$@\" \"$a\"\ndone\nexec " + qemuBin + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	short := fmt.Sprintf("%dK", (end+4095)/4096*4+128) // the image and 128 KiB
	for _, c := range []struct {
		mem  string
		want string
	}{
		{"3M", "unikgen: not enough memory: the machine's RAM does not hold the kernel image"},
		{"4M", "unikgen: not enough memory: the machine's RAM does not hold the kernel image"},
		{short, fmt.Sprintf(" KiB of RAM; this kernel needs at least %d MiB\n", minMiB)},
	} {
		t.Run(c.mem, func(t *testing.T) {
			t.Setenv("UNIKGEN_TEST_MEM", c.mem)
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, QEMU: wrapper, Console: &console, Timeout: 60 * time.Second,
			})
			if err != nil {
				t.Fatalf("-m %s: %v; console:\n%s", c.mem, err, console.String())
			}
			out := console.String()
			if res.Status != 2 || !res.Exact || !strings.Contains(out, c.want) || !strings.HasSuffix(out, "fatal error: unikgen: not enough memory\n") {
				t.Errorf("-m %s: status %d (exact %v), want 2 and %q; console:\n%s", c.mem, res.Status, res.Exact, c.want, out)
			}
		})
	}
}

// imageSymbols returns the symbol table of the ELF image at path.
func imageSymbols(t *testing.T, path string) []elf.Symbol {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	return syms
}

// imageTextEnd returns the address where the executable segment of the ELF image at path ends.
func imageTextEnd(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var end uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			end = max(end, p.Paddr+p.Memsz)
		}
	}
	return end
}
