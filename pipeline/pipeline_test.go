package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
)

// TestBuildDeployment builds examples/hello with every deployment file, checks that each names
// the image, and boots the image the libvirt domain names, with its memory, under QEMU.
func TestBuildDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots a kernel")
	}
	testenv.NeedGo(t)
	testenv.NeedQEMU(t)
	dir := t.TempDir()
	r, err := pipeline.Build(context.Background(), pipeline.Options{
		Gen:    gen.Options{Dir: "..", Package: "./examples/hello"},
		Output: dir + string(filepath.Separator), Deploy: true,
		Formats: []string{"libvirt", "firecracker", "cloud-hypervisor"},
	})
	if err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(dir, "hello.xen")
	want := []string{"hello.xl", "hello.libvirt.xml", "hello.firecracker.json", "hello.cloud-hypervisor.sh"}
	if r.Build.Image != image || len(r.Deployment) != len(want) {
		t.Fatalf("image %s, deployment %v; want %s and %v", r.Build.Image, r.Deployment, image, want)
	}
	files := map[string][]byte{}
	for i, f := range r.Deployment {
		if filepath.Base(f) != want[i] {
			t.Errorf("deployment file %d: %s, want %s", i, f, want[i])
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[want[i]] = b
		if !bytes.Contains(b, []byte(image)) {
			t.Errorf("%s does not name the image %s:\n%s", want[i], image, b)
		}
	}
	var fc struct {
		Boot struct {
			Kernel string `json:"kernel_image_path"`
		} `json:"boot-source"`
	}
	if err := json.Unmarshal(files["hello.firecracker.json"], &fc); err != nil || fc.Boot.Kernel != image {
		t.Errorf("firecracker: %v, kernel %q", err, fc.Boot.Kernel)
	}
	var d struct {
		Memory int `xml:"memory"`
		OS     struct {
			Kernel string `xml:"kernel"`
		} `xml:"os"`
	}
	if err := xml.Unmarshal(files["hello.libvirt.xml"], &d); err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	res, err := qemu.Run(context.Background(), qemu.Config{Kernel: d.OS.Kernel, MemoryMiB: d.Memory, Console: &console, Timeout: 60 * time.Second})
	if err != nil || res.Status != 0 || !strings.Contains(console.String(), "Hello, unikernel!\n") {
		t.Errorf("booting the libvirt domain's kernel with %d MiB: %v, status %d, console:\n%s", d.Memory, err, res.Status, console.String())
	}
}

// TestBuildRefusesEarly checks that a configuration error stops the pipeline before go build, with
// nothing written.
func TestBuildRefusesEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses a program")
	}
	testenv.NeedGo(t)
	dir := t.TempDir()
	_, err := pipeline.Build(context.Background(), pipeline.Options{
		Gen:    gen.Options{Dir: "..", Package: "./gen/testdata/badtarget"},
		Output: dir + string(filepath.Separator), Deploy: true,
	})
	var ce gen.ConfigErrors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want gen.ConfigErrors", err, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("wrote %v", ents)
	}
}

// TestBuildCached builds examples/hello with the analysis cache, as the CLI does: the second build
// (a cache hit, and go build started at once with the last build's composition root) gives the
// same image; a build with another name (another composition root) has that name; and the
// build after it, with the first root again, gives the first image, not the renamed one.
func TestBuildCached(t *testing.T) {
	testenv.NeedGo(t)
	store := &cache.Store{Dir: t.TempDir()}
	out := t.TempDir()
	image := func(name string) []byte {
		t.Helper()
		o := pipeline.Options{Gen: gen.Options{Dir: "..", Package: "./examples/hello", Cache: store},
			Output: filepath.Join(out, "hello.xen")}
		if name != "" {
			o.Gen.Overrides.Name = &name
		}
		r, err := pipeline.Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(r.Build.Image)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := image("")
	if again := image(""); !bytes.Equal(again, first) {
		t.Errorf("the second build of the unchanged program gave another image")
	}
	const other = "zz-other-kernel-name"
	if renamed := image(other); !bytes.Contains(renamed, []byte(other)) {
		t.Errorf("the build with -name %s does not have that name", other)
	}
	if back := image(""); !bytes.Equal(back, first) || bytes.Contains(back, []byte(other)) {
		t.Errorf("the build after the renamed one is not the first image again")
	}
}
