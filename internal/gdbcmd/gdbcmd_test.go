package gdbcmd

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

func TestArgs(t *testing.T) {
	got := Args(Options{
		Image: "/tmp/app.xen", GOROOT: "/usr/local/go", ModCache: "/root/go/pkg/mod",
		Modules: map[string]string{
			"example.com/app":            "/home/u/my app", // a space: quoted for gdb
			"example.com/app/sub":        "/home/u/sub",    // longer: first
			"github.com/unikgen/unikgen": "/src/unikgen",
		},
	})
	want := []string{"gdb", "-q", "-iex", "set auto-load no", "-iex", "set tcp connect-timeout 30",
		"-ex", "directory /usr/local/go/src:/root/go/pkg/mod",
		"-ex", "set substitute-path github.com/unikgen/unikgen /src/unikgen",
		"-ex", "set substitute-path example.com/app/sub /home/u/sub",
		"-ex", `set substitute-path example.com/app "/home/u/my app"`,
		"-ex", "target remote " + DefaultAddr, "/tmp/app.xen"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Args:\n got %q\nwant %q", got, want)
	}
}

func TestShellLine(t *testing.T) {
	args := []string{"gdb", "-ex", "set substitute-path a 'b c'", "/tmp/x y/app.xen", "plain-arg_1.2:3@v"}
	line := ShellLine(args)
	if want := `gdb -ex 'set substitute-path a '\''b c'\''' '/tmp/x y/app.xen' plain-arg_1.2:3@v`; line != want {
		t.Errorf("ShellLine = %s, want %s", line, want)
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to check the quoting with")
	}
	out, err := exec.Command("sh", "-c", `for a in `+ShellLine(args[1:])+`; do printf '%s\n' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "-ex\nset substitute-path a 'b c'\n/tmp/x y/app.xen\nplain-arg_1.2:3@v\n"; string(out) != want {
		t.Errorf("the shell reads %q, want %q", out, want)
	}
}

func TestModuleDir(t *testing.T) {
	for _, c := range []struct{ path, dir, mod, want string }{
		{"example.com/app/cmd/x", "/src/app/cmd/x", "example.com/app", "/src/app"},
		{"example.com/app", "/src/app", "example.com/app", "/src/app"},
		{"example.com/appx", "/src/appx", "example.com/app", ""}, // not below the module
		{"example.com/app/cmd/x", "/elsewhere/y", "example.com/app", ""},
		{"example.com/app", "/src/app", "", ""},
	} {
		if got := ModuleDir(c.path, c.dir, c.mod); got != c.want {
			t.Errorf("ModuleDir(%q, %q, %q) = %q, want %q", c.path, c.dir, c.mod, got, c.want)
		}
	}
}

// TestImage checks CheckDWARF and Modules on programs built in a module that requires the library
// OS through a replace directive.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs; skipped with -short")
	}
	goCmd := testenv.NeedGo(t)
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{"main.go": "package main\n\nimport \"github.com/unikgen/unikgen/config\"\n\nvar _ = config.Kernel{}\n\nfunc main() { println(1) }\n"})
	for _, c := range []struct {
		ldflags string
		ok      bool
	}{{"", true}, {"-w", false}, {"-s -w", false}} {
		out := filepath.Join(dir, "prog")
		cmd := exec.Command(goCmd, "build", "-ldflags="+c.ldflags, "-o", out, ".")
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		if err := CheckDWARF(out); (err == nil) != c.ok {
			t.Errorf("-ldflags=%q: CheckDWARF = %v, want ok=%v", c.ldflags, err, c.ok)
		}
		mods, err := Modules(out, dir, "/cache")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"example.com/app": dir, "github.com/unikgen/unikgen@v0.0.0": filepath.Clean(testenv.ModuleRoot())}
		if !reflect.DeepEqual(mods, want) {
			t.Errorf("-ldflags=%q: Modules = %q, want %q", c.ldflags, mods, want)
		}
	}
}

func TestEscapePath(t *testing.T) {
	if got, want := escapePath("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml"; got != want {
		t.Errorf("escapePath = %q, want %q", got, want)
	}
}
