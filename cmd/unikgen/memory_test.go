package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/image"
)

// TestMinMemory checks that build prints the memory an image needs and that build and run refuse
// less (-m, config.Kernel.MemoryMiB) before anything boots: with 1 or 2 MiB QEMU hangs without a
// word (the image's code is not in RAM), with less than the image's floor the kernel could only
// stop.
func TestMinMemory(t *testing.T) {
	t.Parallel()
	root := moduleRoot()
	dir := t.TempDir()
	out := filepath.Join(dir, "hello.xen")
	r := run(t, root, nil, "build", "-o", out, "./examples/hello")
	if r.code != 0 {
		t.Fatalf("unikgen build: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	minMiB, err := image.MinMemoryMiB(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := " bytes, needs at least " + strconv.Itoa(minMiB) + " MiB of memory\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("build's stdout %q does not contain %q", r.stdout, want)
	}
	// File and memory sizes, the latter from the program headers (.bss and .noptrbss included).
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var loaded uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loaded += p.Memsz
		}
	}
	if want := fmt.Sprintf(": file %d bytes, memory %d bytes, ", len(b), loaded); !strings.Contains(r.stdout, want) {
		t.Errorf("build's stdout %q does not contain %q", r.stdout, want)
	}
	if minMiB < 5 || minMiB > 8 {
		t.Errorf("hello needs %d MiB: want 5 to 8 (its image ends above 4 MiB)", minMiB)
	}

	small := strconv.Itoa(minMiB - 1)
	os.Remove(filepath.Join(dir, "hello.xl"))
	r = run(t, root, nil, "build", "-m", small, "-o", out, "./examples/hello")
	want := "unikgen: -m " + small + ": hello.xen needs at least " + strconv.Itoa(minMiB) + " MiB of memory"
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("build -m %s: exit %d, stderr %q; want exit 2 and %q", small, r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "hello.xl")); err == nil {
		t.Errorf("build -m %s wrote an xl config", small)
	}

	for _, m := range []string{"1", "2", small} {
		r = run(t, root, nil, "run", "-m", m, "-timeout", "20s", "./examples/hello")
		want := "unikgen: -m " + m + ": hello.xen needs at least "
		if r.code != 2 || !strings.Contains(r.stderr, want) || r.stdout != "" {
			t.Errorf("run -m %s: exit %d, stdout %q, stderr %q; want exit 2 and %q before booting", m, r.code, r.stdout, r.stderr, want)
		}
	}

	r = run(t, root, nil, "build", "-o", filepath.Join(dir, "smallmem.xen"), "./cmd/unikgen/testdata/smallmem")
	want = "smallmem/main.go:10:34: config.Kernel.MemoryMiB: 3 MiB is less than the "
	if r.code != 2 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, " MiB that smallmem.xen needs") {
		t.Errorf("build of a MemoryMiB: 3 program: exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
	}
}
