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
