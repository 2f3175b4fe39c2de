package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/deploy"
	"github.com/unikgen/unikgen/internal/host/xenlab"
	"github.com/unikgen/unikgen/internal/testenv"
)

// configuredApp is a program with a config.Kernel literal: a name that is not a domain name,
// memory and boot-time defaults.
const configuredApp = `package main

import (
	"fmt"
	"os"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{
	Name:      "_my:app",
	MemoryMiB: 96,
	Args:      []string{"-v", "two words"},
	Env:       []string{"GREETING=hi \"there\""},
}

func main() { fmt.Println(os.Args[1:], os.Getenv("GREETING")) }
`

// TestBuildXLConfig checks the xl config that build writes beside the image, byte for byte.
func TestBuildXLConfig(t *testing.T) {
	t.Parallel()
	dir := appModule(t, configuredApp)
	r := run(t, dir, nil, "build", "-generic", "./cmd/app")
	if r.code != 0 {
		t.Fatalf("unikgen build: exit %d\n%s", r.code, r.stderr)
	}
	// The image is named after the package (app.xen), the domain after config.Kernel.Name.
	want := `# xl.cfg for the unikgen kernel my-app: a PVH guest (no device model, no emulated devices).
# Start it on a Xen host with: xl create THIS_FILE   (add -c to attach to its PV console)
name = "my-app"
type = "pvh"
kernel = "DIR/app.xen"
memory = 96
vcpus = 1
cmdline = "\"GREETING=hi \\\"there\\\"\" -- -v \"two words\""
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
`
	got, err := os.ReadFile(filepath.Join(dir, "app.xl"))
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.ReplaceAll(string(got), dir, "DIR"); s != want {
		t.Errorf("app.xl:\n%s\nwant:\n%s", s, want)
	}
	if !strings.HasSuffix(r.stdout, "\napp.xl: xl config (memory 96 MiB)\n") {
		t.Errorf("stdout %q does not name app.xl", r.stdout)
	}

	// -xl-kernel: the path xl on the Xen host sees, a ./ or ../ path kept relative.
	r = run(t, dir, nil, "build", "-generic", "-xl-kernel", "../images/app.xen", "./cmd/app")
	got, _ = os.ReadFile(filepath.Join(dir, "app.xl"))
	if r.code != 0 || !strings.Contains(string(got), "\nkernel = \"../images/app.xen\"\n") {
		t.Errorf("build -xl-kernel ../images/app.xen: exit %d, app.xl:\n%s\n%s", r.code, got, r.stderr)
	}

	// -m overrides MemoryMiB; -o moves both files; the kernel path is absolute.
	out := filepath.Join(t.TempDir(), "out dir", "k.elf")
	os.MkdirAll(filepath.Dir(out), 0o755)
	r = run(t, dir, nil, "build", "-generic", "-m", "200", "-o", out, "./cmd/app")
	xl := filepath.Join(filepath.Dir(out), "k.xl")
	if r.code != 0 || !strings.Contains(r.stdout, xl+": xl config (memory 200 MiB)\n") {
		t.Fatalf("unikgen build -m 200 -o: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	got, _ = os.ReadFile(xl)
	for _, line := range []string{"memory = 200\n", `kernel = "` + out + `"` + "\n", `name = "my-app"` + "\n"} {
		if !strings.Contains(string(got), line) {
			t.Errorf("k.xl does not contain %q:\n%s", line, got)
		}
	}

	// A -target qemu kernel does not run on Xen: no xl config.
	out = filepath.Join(t.TempDir(), "q.xen")
	r = run(t, dir, nil, "build", "-generic", "-target", "qemu", "-o", out, "./cmd/app")
	if r.code != 0 || strings.Contains(r.stdout, ".xl") {
		t.Errorf("unikgen build -target qemu: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(deploy.XLPath(out)); err == nil {
		t.Errorf("build -target qemu wrote %s", deploy.XLPath(out))
	}

	r = run(t, dir, nil, "build", "-m", "0", "./cmd/app")
	if r.code != 2 || !strings.Contains(r.stderr, "unikgen: -m 0: want a positive number of MiB") {
		t.Errorf("build -m 0: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestBuildXLDevices: a program that uses sockets gets a vif on the bridge (xenbr0 unless
// -bridge says otherwise); a generic kernel gets one only with -bridge.
func TestBuildXLDevices(t *testing.T) {
	t.Parallel()
	dir := appModule(t, "package main\n\nimport \"net\"\n\nfunc main() { net.Listen(\"tcp\", \":80\") }\n")
	r := run(t, dir, nil, "build", "./cmd/app")
	if r.code != 0 {
		t.Fatalf("unikgen build: exit %d\n%s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "app.xl"))
	if !strings.Contains(string(got), "\nvif = [ \"bridge=xenbr0\" ]\n") || strings.Contains(string(got), "disk") {
		t.Errorf("app.xl of a program with sockets:\n%s", got)
	}
	if !strings.Contains(r.stdout, "app.xl: xl config (memory 128 MiB, vif on bridge xenbr0") {
		t.Errorf("stdout %q", r.stdout)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("build warns: %s", r.stderr)
	}
	r = run(t, dir, nil, "build", "-bridge", "br-lan", "./cmd/app")
	got, _ = os.ReadFile(filepath.Join(dir, "app.xl"))
	if r.code != 0 || !strings.Contains(string(got), "\nvif = [ \"bridge=br-lan\" ]\n") {
		t.Errorf("build -bridge br-lan: exit %d\n%s\n%s", r.code, got, r.stderr)
	}
	r = run(t, dir, nil, "build", "-bridge", "br 0", "./cmd/app")
	if r.code != 1 || !strings.Contains(r.stderr, `invalid bridge name "br 0"`) {
		t.Errorf("build -bridge 'br 0': exit %d, stderr %q", r.code, r.stderr)
	}
	hello := appModule(t, "package main\n\nfunc main() { println(\"hi\") }\n")
	for _, c := range []struct {
		args []string
		vif  bool
	}{{[]string{"-generic"}, false}, {[]string{"-generic", "-bridge", "xenbr1"}, true}, {nil, false}} {
		r = run(t, hello, nil, append(append([]string{"build"}, c.args...), "./cmd/app")...)
		got, _ = os.ReadFile(filepath.Join(hello, "app.xl"))
		if r.code != 0 || strings.Contains(string(got), "vif =") != c.vif {
			t.Errorf("build %q: exit %d, vif %v wanted:\n%s", c.args, r.code, c.vif, got)
		}
	}
}

// TestRunXenErrors checks the failures of run -target xen that need no Xen run.
func TestRunXenErrors(t *testing.T) {
	t.Parallel()
	root := moduleRoot()
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"run", "-target", "xen", "-accel", "kvm", "./examples/hello"},
			"unikgen: -accel is a QEMU setting: it does not apply to -target xen"},
		{[]string{"run", "-target", "xen", "-machine", "q35", "./examples/hello"},
			"unikgen: -machine is a QEMU setting: it does not apply to -target xen"},
		{[]string{"run", "-target", "xen", "-timeout", "-1s", "./no/such/dir"},
			"unikgen: -timeout -1s: want a positive duration, or 0 for no limit\n"},
		{[]string{"run", "-target", "xen", "-m", "1500", "./no/such/dir"},
			"unikgen: -m 1500: -target xen runs the domain in a nested Xen machine of 2048 MiB, 768 of them for dom0: at most 1200 MiB\n"},
		{[]string{"run", "-target", "xen", "-volume", filepath.Join(t.TempDir(), "v.img") + ":/data", "./examples/hello"},
			"unikgen: volumes (/data): run -target xen boots under the nested-Xen harness, which keeps no disk across runs"},
	} {
		r := run(t, root, nil, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("unikgen %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.stderr)
		}
	}

	goTool := testenv.NeedGo(t)
	t.Run("no QEMU", func(t *testing.T) {
		t.Parallel()
		r := run(t, root, []string{"PATH=" + filepath.Dir(goTool)}, "run", "-target", "xen", "./examples/hello")
		want := "unikgen: qemu-system-x86_64 not found: install qemu-system-x86"
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("run -target xen without QEMU: exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
		}
	})
	t.Run("harness cannot be built", func(t *testing.T) {
		t.Parallel()
		// QEMU and go are found, apt-get and the other tools the harness needs are not: the
		// empty cache cannot be built, and unikgen says what it was doing.
		qemuBin := testenv.NeedQEMU(t)
		bin := t.TempDir()
		for _, p := range []string{goTool, qemuBin} {
			if err := os.Symlink(p, filepath.Join(bin, filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
		}
		cache := t.TempDir()
		r := run(t, root, []string{"PATH=" + bin, "UNIKGEN_XENLAB_CACHE=" + cache}, "run", "-generic", "-target", "xen", "./examples/hello")
		for _, want := range []string{
			"unikgen: -target xen boots the kernel as a PVH domain of real Xen 4.17 nested in QEMU (TCG).\n",
			"unikgen: first use: building that harness in " + cache + " from Debian packages\n",
			"unikgen: cannot build the nested-Xen harness: xenlab: building the Xen harness needs apt-get, apt-cache",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not contain %q", want)
			}
		}
		if r.code != 1 || r.stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1", r.code, r.stdout, r.stderr)
		}
	})
}

// TestRunXen runs a program under nested Xen the way a user does: arguments and environment on
// the Xen cmdline, the console on stdout, the program's exit status. About 30 s.
func TestRunXen(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("boots nested Xen (20-40 s); skipped with -short")
	}
	testenv.NeedXen(t, xenlab.CheckHost(context.Background(), ""))
	dir := appModule(t, `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("%q %q\n", os.Args, os.Getenv("GREETING"))
	os.Exit(len(os.Args))
}
`)
	r := run(t, dir, nil, "run", "-generic", "-target", "xen", "-timeout", "120s", "./cmd/app", "-env", "GREETING=hi there", "--", "-m", `a "b"`, "")
	want := `["app" "-m" "a \"b\"" ""] "hi there"` + "\n"
	if r.code != 4 || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 4, stdout %q", r.code, r.stdout, r.stderr, want)
	}
	t.Logf("stderr:\n%s", r.stderr)
}

// TestLiveConsole feeds liveConsole the lines xenlab streams and then the complete console: the
// output is the console once, without the kernel's status line, the streamed part written live.
func TestLiveConsole(t *testing.T) {
	for _, tc := range []struct {
		name     string
		streamed []string
		console  string
		live     string // written before finish
	}{
		{"all streamed", []string{"a\n", "b\n", "unikgen: exit status 3\n"}, "a\nb\n", "a\nb\n"},
		{"tail missed", []string{"a\n"}, "a\nb\nc\n", "a\n"},
		{"nothing streamed", nil, "a\n", ""},
		{"a status-like line of the program", []string{"unikgen: exit status 9\n", "x\n"}, "unikgen: exit status 9\nx\n", "unikgen: exit status 9\nx\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			l := &liveConsole{w: &out}
			for _, s := range tc.streamed {
				l.Write([]byte(s))
			}
			if out.String() != tc.live {
				t.Errorf("written live: %q, want %q", out.String(), tc.live)
			}
			l.finish([]byte(tc.console))
			if out.String() != tc.console {
				t.Errorf("written in all: %q, want %q", out.String(), tc.console)
			}
		})
	}
}
