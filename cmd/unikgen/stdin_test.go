package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestRunStdin pipes input into `unikgen run`, as `printf ... | unikgen run .` does: the program
// reads it line by line, then end of file, and exits with the number of lines. Before, standard
// input always read end of file at once.
func TestRunStdin(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	cmd := exec.Command(unikgen, "run", "./internal/boottest/testdata/stdin")
	cmd.Dir = moduleRoot()
	cmd.Stdin = strings.NewReader("hello\nworld\n")
	r := runCmd(t, cmd)
	want := "1: HELLO\n2: WORLD\nend of input after 2 lines, error <nil>\n"
	if r.code != 2 || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stdout %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestIsTerminal checks the test that decides how unikgen reads its input.
func TestIsTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s is a terminal?", os.DevNull)
	}
}
