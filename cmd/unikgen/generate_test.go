package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/gen"
)

const configApp = `package main

import (
	"fmt"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{Target: config.Any, Args: []string{"hi"}}

func main() { fmt.Println("hello") }
`

// TestGenerateDiffExplain drives explain, generate and diff on an app in its own module.
func TestGenerateDiffExplain(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses programs; skipped with -short")
	}
	dir := appModule(t, configApp)
	app := filepath.Join(dir, "cmd", "app")
	record := filepath.Join(app, "unikgen_kernel.json")

	if r := run(t, dir, nil, "diff", "./cmd/app"); r.code != 1 || !strings.Contains(r.stdout, "+++ ") {
		t.Fatalf("diff before generate: status %d, want 1 and a diff\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(record); err == nil {
		t.Fatal("diff wrote the record")
	}
	if r := run(t, app, nil, "generate"); r.code != 0 {
		t.Fatalf("generate: status %d\n%s", r.code, r.stderr)
	}
	if r := run(t, app, nil, "diff"); r.code != 0 || r.stdout != "" {
		t.Fatalf("diff after generate: status %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A record written by another version of unikgen: diff says so.
	rec, err := os.ReadFile(record)
	now := gen.RecordVersion(rec)
	if err != nil || now == "" {
		t.Fatalf("record without this unikgen's version (%v):\n%s", err, rec)
	}
	old := strings.Replace(string(rec), `"unikgen_version": "`+now+`"`, `"unikgen_version": "v0.0.1"`, 1)
	if err := os.WriteFile(record, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, app, nil, "diff"); r.code != 1 || !strings.Contains(r.stderr, "unikgen_kernel.json was written by unikgen v0.0.1; this is unikgen "+now+":") {
		t.Fatalf("diff of an older version's record: status %d, want 1 and a note\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := os.WriteFile(record, rec, 0o644); err != nil {
		t.Fatal(err)
	}
	// A flag changes the kernel: the record is stale.
	if r := run(t, app, nil, "diff", "-target", "qemu"); r.code != 1 || !strings.Contains(r.stdout, `-  "target": "any",`) {
		t.Fatalf("diff -target qemu: status %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}

	r := run(t, app, nil, "explain")
	if r.code != 0 || !strings.Contains(r.stdout, "in    platform/qemu") || !strings.Contains(r.stdout, "--static--> fmt.Println") {
		t.Fatalf("explain: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, app, nil, "explain", "-json")
	var p struct {
		Cmdline  string
		Syscalls struct{ Calls []struct{ Name string } }
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || r.code != 0 || p.Cmdline != "-- hi" || len(p.Syscalls.Calls) == 0 {
		t.Fatalf("explain -json: status %d, %v, %+v\n%s", r.code, err, p, r.stderr)
	}
	r = run(t, app, nil, "explain", "-why", "syscall:write")
	if r.code != 0 || !strings.Contains(r.stdout, "example.com/app/cmd/app.main") {
		t.Fatalf("explain -why syscall:write: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestGenerateErrors checks the exit statuses and messages of bad programs; nothing is written.
func TestGenerateErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses programs; skipped with -short")
	}
	dir := appModule(t, strings.Replace(configApp, "config.Any", `"vmware"`, 1))
	app := filepath.Join(dir, "cmd", "app")
	for _, cmd := range []string{"generate", "explain", "diff", "build"} {
		r := run(t, app, nil, cmd)
		if r.code != 2 || !strings.Contains(r.stderr, `./main.go:9:31: config.Kernel.Target: unknown target "vmware"`) {
			t.Errorf("%s with a bad target: status %d, want 2\n%s", cmd, r.code, r.stderr)
		}
	}
	ents, _ := os.ReadDir(app)
	if len(ents) != 1 {
		t.Errorf("files written: %v", ents)
	}

	dir = appModule(t, "package main\n\nimport \"os/exec\"\n\nfunc main() { exec.Command(\"true\").Run() }\n")
	app = filepath.Join(dir, "cmd", "app")
	for _, cmd := range []string{"generate", "explain", "build"} {
		r := run(t, app, nil, cmd)
		out := r.stdout + r.stderr
		if r.code != 1 || !strings.Contains(out, "./main.go:5:39: call of (*os/exec.Cmd).Run reaches os.StartProcess") {
			t.Errorf("%s with os/exec: status %d, want 1\n%s", cmd, r.code, out)
		}
	}
	if r := run(t, app, nil, "generate", "-target", "vmware"); r.code != 2 || !strings.HasPrefix(r.stderr, "unikgen: -target: unknown target") {
		t.Errorf("generate -target vmware: status %d, want 2\n%s", r.code, r.stderr)
	}
	ents, _ = os.ReadDir(app)
	if len(ents) != 1 {
		t.Errorf("files written: %v", ents)
	}
}
