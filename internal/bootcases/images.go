package bootcases

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
)

// Images builds each kernel image once per test binary, in a directory of its own, and shares
// it among the tests and subtests that boot it (in parallel).
type Images struct {
	dir   string
	mu    sync.Mutex
	built map[string]*builtImage
}

type builtImage struct {
	once sync.Once
	path string
	err  error
}

// NewImages makes the cache, in a new temporary directory whose name starts with prefix.
func NewImages(prefix string) (*Images, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	return &Images{dir: dir, built: map[string]*builtImage{}}, nil
}

// Remove removes the images (at the end of TestMain).
func (c *Images) Remove() { os.RemoveAll(c.dir) }

// Generic returns the generic kernel image of pkg (relative to the module root): the committed
// generic composition root (runtime/boot/config_gen.go, every component), without the generator.
func (c *Images) Generic(t testing.TB, pkg string) string {
	t.Helper()
	return c.get(t, pkg, pkg, func(out string) error {
		_, err := build.Build(context.Background(), build.Options{Dir: testenv.ModuleRoot(), Package: "./" + pkg, Output: out})
		return err
	})
}

// Specialised returns the kernel image of pkg that the generator specialises for it, as `unikgen
// build` makes it; target, unless "", replaces the configuration's target (`-target`).
func (c *Images) Specialised(t testing.TB, pkg string, target config.Target) string {
	t.Helper()
	key := pkg + " specialised"
	o := gen.Options{Dir: testenv.ModuleRoot(), Package: "./" + pkg}
	if target != "" {
		key += " for target " + string(target)
		o.Overrides.Target = &target
	}
	return c.get(t, key, pkg, func(out string) error {
		_, err := pipeline.Build(context.Background(), pipeline.Options{Output: out, Gen: o})
		return err
	})
}

// get returns the image under key, building it with build on first use.
func (c *Images) get(t testing.TB, key, pkg string, build func(out string) error) string {
	t.Helper()
	c.mu.Lock()
	b := c.built[key]
	if b == nil {
		b = &builtImage{}
		c.built[key] = b
	}
	c.mu.Unlock()
	b.once.Do(func() {
		b.path = filepath.Join(c.dir, strings.NewReplacer("/", "_", " ", "_").Replace(key)+".xen")
		b.err = build(b.path)
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", key, b.err)
	}
	return b.path
}

// BuildSpecialised generates and builds pkg (relative to the module root) as `unikgen build`
// does, with rootfs (relative to the module root, or "") baked in; host names the host's files
// to bake in as well ("ca": -host-ca-bundle, "zoneinfo": -host-zoneinfo). The image is in a
// temporary directory of t.
func BuildSpecialised(t testing.TB, pkg, rootfs string, host ...string) (*gen.Result, string) {
	t.Helper()
	o := gen.Options{Dir: testenv.ModuleRoot(), Package: "./" + pkg}
	for _, h := range host {
		o.HostCABundle = o.HostCABundle || h == "ca"
		o.HostZoneinfo = o.HostZoneinfo || h == "zoneinfo"
	}
	if rootfs != "" {
		abs := filepath.Join(testenv.ModuleRoot(), rootfs)
		o.Overrides.RootFS = &abs
	}
	out := filepath.Join(t.TempDir(), "kernel.xen")
	r, err := pipeline.Build(context.Background(), pipeline.Options{Gen: o, Output: out})
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	return r.Gen, out
}
