package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/internal/textdiff"
)

// TestRecordStable checks that unikgen_kernel.json does not change with edits that do not change
// what the program can reach: lines moved, a function that nothing calls, other constants.
func TestRecordStable(t *testing.T) {
	testenv.NeedGo(t)
	dir := t.TempDir()
	const before = `package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile("/etc/hostname")
	if err != nil {
		fmt.Println("no host name:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\n", b)
}
`
	const after = `package main

// A comment that moves every line.

import (
	"fmt"
	"os"
)

// unused is called by nobody.
func unused() { fmt.Println("unused") }

func main() {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		fmt.Println("cannot read it:", err)
		os.Exit(3)
	}
	fmt.Printf("%s\n\n", b)
}
`
	testenv.WriteModule(t, dir, map[string]string{"main.go": before})
	record := func() string {
		t.Helper()
		r, err := gen.Generate(context.Background(), gen.Options{Dir: dir, Package: "."})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Plan.Has("files") {
			t.Fatalf("the program reads a file, but the file component is out")
		}
		return string(r.Files[0].Content)
	}
	a := record()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
	b := record()
	if a != b {
		t.Errorf("the record changed with an edit that changes nothing the program reaches:\n%s", textdiff.Unified("before", "after", a, b))
	}
	if strings.Contains(a, "\"pos\"") || strings.Contains(a, "syscall.Syscall") {
		t.Errorf("the record has positions or steps inside the standard library:\n%s", a)
	}
}
