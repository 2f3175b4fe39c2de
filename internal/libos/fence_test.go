package libos

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fence: what each layer of the library OS may import, as an allowlist. Kernel code runs
// without the Go runtime's services (docs/internals.md, "Kernel-context code rules"), so a
// standard package enters runtime/ or drivers/ only when it is added here on purpose.
var (
	// kernelStd are the standard packages that any package of runtime/ and drivers/ may import:
	// they work without allocation, locks or the scheduler when used as the library OS uses them.
	kernelStd = []string{"unsafe", "math/bits", "sync/atomic", "strconv", "encoding/binary"}

	// driverStd are the further standard packages that drivers/ may import: a driver's
	// program-context half (device set-up, blocking waits, errors for the program) uses them;
	// its interrupt path may not.
	driverStd = []string{"errors", "fmt", "sync", "syscall", "runtime"}

	// packageStd are the further standard packages that one package may import, and why.
	packageStd = map[string][]string{
		// The host-side encoder (Encode), used by the QEMU and Xen runners; the kernel calls only
		// Split and SplitEnv.
		"runtime/cmdline": {"errors", "strings"},
		// The host-side encoder (Encoder, Copy), used by unikgen run to stream standard input;
		// the kernel calls only Decoder.
		"runtime/console/wire": {"io"},
		// The Xen frontends run in program context, behind the relay (services/netstack/xennet):
		// time for their waits on the backend, strings and slices for xenstore paths and lists.
		"drivers/xen/xenbus":   {"slices", "strings", "time"},
		"drivers/xen/netfront": {"strings", "time"},
		"drivers/xen/blkfront": {"time"},
	}

	// supportStd are the further standard packages that test-support packages (a last path
	// element ending in "test": fake devices, a fake scheduler) may import: they run on the host.
	supportStd = []string{"errors", "fmt", "sort", "strings", "sync", "syscall"}

	// services may be imported only by the composition root's package.
	servicesImporter = "runtime/boot"
)

// TestFence checks every import of every Go file of runtime/ and drivers/ (for linux/amd64,
// tests and generators excluded) against the allowlist above: a standard package must be listed
// for the importing package's layer; a package of this module must be in runtime/ or drivers/
// (services/ only from runtime/boot) and not a test-support package unless the importer is one.
func TestFence(t *testing.T) {
	pkgs := listPackages(t, "../../runtime/...", "../../drivers/...")
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d library OS packages", len(pkgs))
	}
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, Module+"/")
		if !ok {
			t.Fatalf("%s is not in module %s", p.ImportPath, Module)
		}
		allowed := slices.Concat(kernelStd, packageStd[rel])
		if strings.HasPrefix(rel, "drivers/") {
			allowed = append(allowed, driverStd...)
		}
		if isSupport(rel) {
			allowed = append(allowed, supportStd...)
		}
		for _, f := range p.GoFiles {
			name := filepath.Join(p.Dir, f)
			file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if why := fenceViolation(rel, path, allowed); why != "" {
					t.Errorf("%s: imports %q: %s", filepath.Join(rel, f), path, why)
				}
			}
		}
	}
}

// fenceViolation says why package rel (a path in the module) may not import path, or returns "".
func fenceViolation(rel, path string, allowedStd []string) string {
	dep, inModule := strings.CutPrefix(path, Module+"/")
	switch {
	case !inModule && !strings.Contains(strings.Split(path, "/")[0], "."):
		if slices.Contains(allowedStd, path) {
			return ""
		}
		return "standard package not in the fence's allowlist for this layer (internal/libos/fence_test.go)"
	case !inModule:
		return "the library OS imports no module outside its own"
	case strings.HasPrefix(dep, "services/"):
		if rel == servicesImporter {
			return ""
		}
		return "only the composition root (" + servicesImporter + ") imports services/"
	case !strings.HasPrefix(dep, "runtime/") && !strings.HasPrefix(dep, "drivers/"):
		return "the library OS imports only runtime/ and drivers/ of this module"
	case isSupport(dep) && !isSupport(rel):
		return "a test-support package is for tests and other test-support packages only"
	}
	return ""
}

// isSupport reports whether rel is a test-support package (its last element ends in "test").
func isSupport(rel string) bool { return strings.HasSuffix(filepath.Base(rel), "test") }

type listedPackage struct {
	ImportPath, Dir string
	GoFiles         []string
}

// listPackages runs go list for the kernel's configuration (linux/amd64, no cgo).
func listPackages(t *testing.T, patterns ...string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Dir,GoFiles"}, patterns...)...)
	cmd.Env = append(cmd.Environ(), BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(strings.NewReader(string(out))); dec.More(); {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestFenceTransitive checks that nothing a kernel can link, the library OS with the services the
// composition root starts, depends on the generator, the analyser, x/tools or jennifer.
func TestFenceTransitive(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "../../runtime/...", "../../drivers/...")
	cmd.Env = append(cmd.Environ(), BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{Module + "/gen", Module + "/analysis", "golang.org/x/tools", "github.com/dave/jennifer"} {
			if p == bad || strings.HasPrefix(p, bad+"/") {
				t.Errorf("the library OS depends on %s", p)
			}
		}
	}
}

// TestNoEmbeds checks that no package a kernel can link from this module embeds files: a
// snapshot of a build covers the library OS's module tree by its source files only
// (analysis/cache WalkTrees), so an embedded file of it would not be seen to change.
func TestNoEmbeds(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.EmbedPatterns}}", "../../runtime/...", "../../drivers/...", "../../services/...")
	cmd.Env = append(cmd.Environ(), BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, l := range lines {
		if path, patterns, _ := strings.Cut(l, " "); patterns != "[]" {
			t.Errorf("%s embeds %s: cover its embedded files in analysis/cache's snapshot first", path, patterns)
		}
	}
}

// TestFenceViolation checks that the fence rejects what it must, with the reason.
func TestFenceViolation(t *testing.T) {
	for _, c := range []struct{ rel, path, want string }{
		{"runtime/sched", "fmt", "standard package not in the fence's allowlist"},
		{"runtime/sched", "maps", "standard package not in the fence's allowlist"},
		{"drivers/virtio", "fmt", ""},
		{"drivers/virtio", "os", "standard package not in the fence's allowlist"},
		{"runtime/sched", "golang.org/x/sys/unix", "no module outside its own"},
		{"runtime/sys", Module + "/gen/plan", "only runtime/ and drivers/"},
		{"runtime/sys", Module + "/services/fs", "only the composition root"},
		{"runtime/boot", Module + "/services/fs", ""},
		{"runtime/sys", Module + "/runtime/sched/schedtest", "test-support package"},
		{"drivers/virtio/virtiotest", Module + "/drivers/virtio", ""},
	} {
		allowed := kernelStd
		if strings.HasPrefix(c.rel, "drivers/") {
			allowed = slices.Concat(kernelStd, driverStd)
		}
		got := fenceViolation(c.rel, c.path, allowed)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s importing %s: got %q, want %q", c.rel, c.path, got, c.want)
		}
	}
}
