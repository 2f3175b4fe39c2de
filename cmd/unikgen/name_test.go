package main

import (
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestRunLongProgramName builds and boots a program whose name (the last element of its import
// path, os.Args[0]) has 64 characters: names of 17 or more once crashed the compiler
// (runtime/boot.TestConfigStringLengths compiles every length from 1 to 64).
func TestRunLongProgramName(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	name := strings.Repeat("long-name-", 7)[:64]
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{"cmd/" + name + "/main.go": `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("%q\n", os.Args) }
`})
	r := run(t, dir, nil, "run", "./cmd/"+name, "--", "x")
	if want := `["` + name + `" "x"]` + "\n"; r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 0, stdout %q", r.code, r.stdout, r.stderr, want)
	}
}
