package main

import (
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestTestCommand runs unikgen test in a module outside this repository: flags after the
// package, -count and a test flag after -- reach the test binary, the output and the exit status
// are go test's.
func TestTestCommand(t *testing.T) {
	testenv.NeedBoot(t, "boots QEMU")
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{
		"p/p_test.go": `package p

import "testing"

var runs int

func TestCounted(t *testing.T) {
	runs++
	t.Logf("run %d", runs)
}

func TestFails(t *testing.T) { t.Fatal("fails") }

func BenchmarkNothing(b *testing.B) {
	for range b.N {
	}
}
`,
	})
	r := run(t, dir, nil, "test", "./p", "-run", "Counted", "-v", "-count", "2", "--", "-test.bench=Nothing", "-test.benchtime=1x")
	for _, want := range []string{"p_test.go:9: run 1\n", "p_test.go:9: run 2\n", "BenchmarkNothing", "\nPASS\nok  \texample.com/app/p\t"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout, "TestFails") {
		t.Errorf("exit status %d, stdout:\n%s\nstderr:\n%s\nwant 0, TestFails not run", r.code, r.stdout, r.stderr)
	}
	r = run(t, dir, nil, "test", "-run=Fails", "./p")
	if want := "p_test.go:12: fails\nFAIL\nFAIL\texample.com/app/p\t"; r.code != 1 || !strings.Contains(r.stdout, want) {
		t.Errorf("-run=Fails: exit status %d, stdout:\n%s\nstderr:\n%s\nwant 1 and %q", r.code, r.stdout, r.stderr, want)
	}
}

func TestTestUsage(t *testing.T) {
	r := run(t, t.TempDir(), nil, "test", "-count", "x")
	if r.code != 2 || !strings.Contains(r.stderr, "unikgen: invalid value \"x\" for flag -count") {
		t.Errorf("exit status %d, stderr %q; want 2 and the bad flag", r.code, r.stderr)
	}
}
