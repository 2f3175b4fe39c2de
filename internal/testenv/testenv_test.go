package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how Missing ended the test instead of ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                     {}
func (r *recorder) Skipf(f string, a ...any)    { r.skipped = sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any)   { r.failed = sprintf(f, a...) }
func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestMissingStrict(t *testing.T) {
	for _, c := range []struct {
		value  string
		strict bool
	}{{"", false}, {"0", false}, {"false", false}, {"1", true}, {"true", true}, {"yes", true}} {
		t.Setenv(StrictEnv, c.value)
		r := &recorder{TB: t}
		Missing(r, "%s not found", "thing")
		switch {
		case c.strict && (r.failed == "" || r.skipped != "" || !strings.HasPrefix(r.failed, "thing not found")):
			t.Errorf("%s=%q: failed %q, skipped %q; want a failure", StrictEnv, c.value, r.failed, r.skipped)
		case !c.strict && (r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, StrictEnv+"=1")):
			t.Errorf("%s=%q: failed %q, skipped %q; want a skip naming %s", StrictEnv, c.value, r.failed, r.skipped, StrictEnv)
		}
	}
	t.Setenv(StrictEnv, "1")
	r := &recorder{TB: t}
	Need(r, nil)
	if r.failed != "" || r.skipped != "" {
		t.Errorf("Need(nil) ended the test: %q %q", r.failed, r.skipped)
	}
}

func TestParseGoMod(t *testing.T) {
	v, reqs, err := parseGoMod("module m\n\ngo 1.26.0\n\nrequire a.b/c v1.0.0\n\nrequire (\n\tx.y/z v0.1.0 // indirect\n\n\tq.r/s v2.0.0+incompatible\n)\n")
	want := []string{"a.b/c v1.0.0", "x.y/z v0.1.0", "q.r/s v2.0.0+incompatible"}
	if err != nil || v != "1.26.0" || !reflect.DeepEqual(reqs, want) {
		t.Errorf("parseGoMod = %q, %q, %v; want 1.26.0, %q", v, reqs, err, want)
	}
	if _, _, err := parseGoMod("module m\n"); err == nil {
		t.Error("parseGoMod without a go directive: no error")
	}
	if _, _, err := parseGoMod("module m\ngo 1.26\nrequire (\n\tbad\n)\n"); err == nil {
		t.Error("parseGoMod of a bad requirement: no error")
	}
}

// TestWriteModuleBuildsOffline writes an app module and lists its build offline, with the
// default -mod=readonly: its go.mod must need no update and its go.sum no entry.
func TestWriteModuleBuildsOffline(t *testing.T) {
	goTool := NeedGo(t)
	dir := t.TempDir()
	WriteModule(t, dir, map[string]string{"cmd/app/main.go": "package main\n\nimport _ \"github.com/unikgen/unikgen/config\"\n\nfunc main() {}\n"})
	cmd := exec.Command(goTool, "list", "-deps", "./cmd/app", "tool")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOSUMDB=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list in the app module: %v\n%s", err, out)
	}
	for _, want := range []string{"github.com/unikgen/unikgen/config", "github.com/unikgen/unikgen/cmd/unikgen", "golang.org/x/tools/go/packages"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("go list -deps does not list %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err != nil {
		t.Error(err)
	}
}
