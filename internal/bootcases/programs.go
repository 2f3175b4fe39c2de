// Package bootcases holds what the boot tests under QEMU (internal/boottest) and under Xen
// (internal/xenboot) share: the programs they boot with the output and exit status each must
// give, the kernel images they build (once per test binary), and the expectations of the files
// and volume programs. The kernel must behave the same on both platforms, so each expectation
// is written once, here.
package bootcases

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// A Program is one Go main package to boot, with its expected behaviour.
type Program struct {
	Name    string   // test name
	Pkg     string   // package directory, relative to the module root
	Env     []string // KEY=VALUE on the kernel command line
	Args    []string // os.Args[1:]
	Machine string   // QEMU machine; "" is microvm (not used under Xen)
	Status  int
	Golden  string   // expected exact console output in internal/boottest/testdata/<Golden>, or ""
	Exact   string   // expected exact console output, or ""
	Contain []string // strings the console output must contain
}

// Programs are the programs of internal/boottest's TestBoot (and TestLinux); internal/xenboot's
// TestXen boots some of them by name (Lookup) with the same expectations.
var Programs = []Program{
	{Name: "hello", Pkg: "examples/hello", Golden: "hello.golden"},
	{Name: "goroutines", Pkg: "examples/goroutines", Golden: "goroutines.golden"},
	{Name: "hello-q35", Pkg: "examples/hello", Golden: "hello.golden", Machine: qemu.Q35},
	{Name: "exit7", Pkg: "internal/boottest/testdata/exit7", Status: 7, Exact: "exiting with 7\n"},
	{Name: "exit0", Pkg: "internal/boottest/testdata/exit0", Status: 0, Exact: "exiting with 0\n"},
	{Name: "panic", Pkg: "internal/boottest/testdata/panic", Status: 2,
		Contain: []string{"about to panic\n", "panic: boom 42\n", "goroutine 1 [running]:\n", "main.main()\n"}},
	{Name: "nilptr", Pkg: "internal/boottest/testdata/nilptr", Status: 2,
		Contain: []string{"about to dereference nil\n", "panic: runtime error: invalid memory address or nil pointer dereference\n",
			"[signal SIGSEGV: segmentation violation", "goroutine 1 [running]:\n", "main.depth("}},
	{Name: "args", Pkg: "internal/boottest/testdata/args", Status: 5,
		Args:  []string{"plain", "two words", `say "hi"`, `back\slash`, ""},
		Exact: "5\n\"plain\"\n\"two words\"\n\"say \\\"hi\\\"\"\n\"back\\\\slash\"\n\"\"\n"},
	{Name: "args-none", Pkg: "internal/boottest/testdata/args", Status: 0, Exact: "0\n"},
	{Name: "args-like-env", Pkg: "internal/boottest/testdata/args", Status: 2,
		Args: []string{"K=V", "--"}, Exact: "2\n\"K=V\"\n\"--\"\n"},
	{Name: "threads", Pkg: "internal/boottest/testdata/threads", Status: 0,
		Exact: "round 1: 1000 goroutines on distinct locked threads\n" +
			"round 2: 1000 goroutines on distinct locked threads\n" +
			"all finished\n"},
	// The sealed address space: each case must end as on Linux, in a fault the Go runtime
	// reports (SEGV_ACCERR: the page is there, the access is not allowed).
	SealCase("write-text"), SealCase("write-rodata"), SealCase("exec-data"), SealCase("exec-bss"),
	SealCase("exec-heap"), SealCase("exec-stack"),
	{Name: "stack-guard", Pkg: "internal/boottest/testdata/stackguard", Status: 0,
		Exact: "writing down the main thread's stack\nfaulted 8 MiB below the top of the stack: true\n"},
	{Name: "stack-overflow", Pkg: "internal/boottest/testdata/overflow", Status: 2,
		Contain: []string{"recursing\n", "runtime: goroutine stack exceeds 8388608-byte limit\n", "fatal error: stack overflow"}},
	// Timer interrupts while SP sits at the bottom of a mapped page above one never touched: a
	// local APIC interrupt delivered on the interrupted stack would fault there and be lost for
	// good (runtime/trap's IST slots), and the sleep after it would never end.
	{Name: "irqstack", Pkg: "internal/boottest/testdata/irqstack", Status: 0,
		Exact: "slept after spinning at the bottom of a page: true\n"},
	{Name: "pipe", Pkg: "internal/boottest/testdata/pipe", Status: 0,
		Exact: "named pipe: true\ntransfer: 1048576 bytes, same: true, <nil>\nread deadline: true\n" +
			"write without a reader: true\nblocking read: \"late\" <nil>\nafter the writer closed: 0 <nil>\n"},
	{Name: "env", Pkg: "internal/boottest/testdata/env", Status: 0,
		Env:   []string{"UNIKGEN_GREETING=hello, \"world\"", "UNIKGEN_EMPTY="},
		Exact: "UNIKGEN_GREETING=\"hello, \\\"world\\\"\" true\nUNIKGEN_UNSET set: false\nUNIKGEN_EMPTY=\"\"\n"},
}

// SealCase is the seal program run with what as its argument.
func SealCase(what string) Program {
	return Program{Name: "seal-" + what, Pkg: "internal/boottest/testdata/seal", Args: []string{what}, Status: 2,
		Contain: []string{"about to " + what + "\n", "unexpected fault address 0x", "fatal error: fault\n",
			"[signal SIGSEGV: segmentation violation code=0x2 addr=0x"}}
}

// Lookup returns the program of Programs named name.
func Lookup(name string) (Program, bool) {
	for _, p := range Programs {
		if p.Name == name {
			return p, true
		}
	}
	return Program{}, false
}

// GoldenPath is the path of the golden file name (Program.Golden): in internal/boottest/testdata.
func GoldenPath(name string) string {
	return filepath.Join(testenv.ModuleRoot(), "internal", "boottest", "testdata", name)
}

// Want returns the exact expected output of p, or "" when only substrings are checked.
func (p Program) Want(t testing.TB) string {
	t.Helper()
	if p.Golden == "" {
		return p.Exact
	}
	b, err := os.ReadFile(GoldenPath(p.Golden))
	if err != nil {
		t.Fatalf("%v (run go test ./internal/boottest -run TestLinux -update to create it)", err)
	}
	return string(b)
}

// Check checks the console output out and the exit status of a run of p; where names the run
// in the messages ("kernel", "linux", "kernel on Xen").
func (p Program) Check(t testing.TB, where, out string, status int) {
	t.Helper()
	if status != p.Status {
		t.Errorf("%s: exit status %d, want %d; output:\n%s", where, status, p.Status, out)
	}
	if want := p.Want(t); want != "" && out != want {
		t.Errorf("%s: output\n%s\nwant\n%s", where, out, want)
	}
	for _, s := range p.Contain {
		if !strings.Contains(out, s) {
			t.Errorf("%s: output does not contain %q; output:\n%s", where, s, out)
		}
	}
}
