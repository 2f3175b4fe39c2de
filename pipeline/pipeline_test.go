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
	"sync"
	"testing"
	"time"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
	"github.com/unikgen/unikgen/pipeline"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
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

// TestDeploymentDisks builds a program that keeps data on a volume, with a disk image NAME.img
// beside the image, and checks that every deployment file attaches that disk; then it boots the
// libvirt domain as libvirt would start it (its kernel, memory, machine and disks) under QEMU,
// and the program writes to the volume.
func TestDeploymentDisks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots a kernel")
	}
	testenv.NeedGo(t)
	testenv.NeedQEMU(t)
	dir := t.TempDir()
	disk := filepath.Join(dir, "volume.img")
	f, err := os.Create(disk)
	if err != nil {
		t.Fatal(err)
	}
	const size = 32 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := mkfs.Format(f, size, mkfs.Options{Zeroed: true}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := pipeline.Build(context.Background(), pipeline.Options{
		Gen:    gen.Options{Dir: "..", Package: "./internal/boottest/testdata/volume"},
		Output: dir + string(filepath.Separator), Deploy: true,
		Formats: []string{"libvirt", "firecracker", "cloud-hypervisor"},
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, p := range r.Deployment {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(b)
	}
	for name, want := range map[string]string{
		"volume.firecracker.json":    `{"drive_id": "vda", "path_on_host": "` + disk + `", "is_root_device": false, "is_read_only": false}`,
		"volume.cloud-hypervisor.sh": "--disk 'path=" + disk + "'",
	} {
		if !strings.Contains(files[name], want) {
			t.Errorf("%s lacks %q:\n%s", name, want, files[name])
		}
	}
	var d struct {
		Memory int `xml:"memory"`
		OS     struct {
			Type struct {
				Machine string `xml:"machine,attr"`
			} `xml:"type"`
			Kernel string `xml:"kernel"`
		} `xml:"os"`
		Disks []struct {
			Source struct {
				File string `xml:"file,attr"`
			} `xml:"source"`
			Target struct {
				Dev string `xml:"dev,attr"`
				Bus string `xml:"bus,attr"`
			} `xml:"target"`
		} `xml:"devices>disk"`
	}
	if err := xml.Unmarshal([]byte(files["volume.libvirt.xml"]), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Disks) != 1 || d.Disks[0].Source.File != disk || d.Disks[0].Target.Dev != "vda" || d.Disks[0].Target.Bus != "virtio" {
		t.Fatalf("libvirt disks %+v, want %s as vda on virtio", d.Disks, disk)
	}
	var console bytes.Buffer
	res, err := qemu.Run(context.Background(), qemu.Config{Kernel: d.OS.Kernel, MemoryMiB: d.Memory, Machine: d.OS.Type.Machine,
		Drives: []qemu.Drive{{File: d.Disks[0].Source.File}}, Console: &console, Timeout: 120 * time.Second})
	out := console.String()
	if err != nil || res.Status != 0 {
		t.Fatalf("booting the libvirt domain: %v, status %d, console:\n%s", err, res.Status, out)
	}
	for _, want := range []string{"statfs: type 0xef53 ", "write more: <nil>\n", "done\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the program on the libvirt domain's disk did not print %q; console:\n%s", want, out)
		}
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
		b, _ := buildTraced(t, o)
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

// TestBuildEditDuringBuild: an edit made while a build runs is never vouched for. Here the file
// changes after the analysis and before go build (which reads the edit), and is put back as the
// analysis saw it before the next build: that build must not take the image, whose program is
// the edit, as the one of the file it finds.
func TestBuildEditDuringBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kernels")
	}
	testenv.NeedGo(t)
	dir := t.TempDir()
	main := func(word string) string {
		return "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + word + "\") }\n"
	}
	write := func(word string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main(word)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WriteModule(t, dir, map[string]string{"main.go": main("word-one")})
	store := &cache.Store{Dir: t.TempDir()}
	build := func(name string, planned func(*gen.Result) error) (image []byte, built bool) {
		t.Helper()
		o := pipeline.Options{Gen: gen.Options{Dir: dir, Package: ".", Cache: store},
			Output: filepath.Join(dir, "app.xen"), Planned: planned}
		if name != "" {
			o.Gen.Overrides.Name = &name
		}
		b, ran := buildTraced(t, o)
		return b, ran.build
	}
	build("", nil)
	if _, built := build("", nil); built {
		t.Fatal("the build of the unchanged program ran go build")
	}
	write("word-two")
	// Another name gives another composition root, so the speculative go build (which started
	// before the edit) is not taken: go build runs after the plan, and reads the edit.
	image, _ := build("other", func(*gen.Result) error { write("edited-during-the-build"); return nil })
	if !bytes.Contains(image, []byte("edited-during-the-build")) {
		t.Fatal("go build did not read the edit made before it started")
	}
	write("word-two") // as the analysis of that build saw it
	image, built := build("other", nil)
	if !built || !bytes.Contains(image, []byte("word-two")) {
		t.Errorf("the build after it: ran go build %v, the image has the program's %q %v", built, "word-two", bytes.Contains(image, []byte("word-two")))
	}
}

// TestBuildSkipsListing: with the cache, a build whose inputs are all as the last build's key saw
// them (cache.Snapshot) runs no go list and no go build, and gives the same kernel; an edit of the
// program, of a file it embeds, a file added to an embedded directory or to its package makes it
// list, analyse and build again.
func TestBuildSkipsListing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kernels")
	}
	testenv.NeedGo(t)
	dir := t.TempDir()
	main := func(word string) string {
		return "package main\n\nimport (\n\t\"embed\"\n\t\"fmt\"\n)\n\n//go:embed texts\nvar texts embed.FS\n\n" +
			"func main() {\n\tfmt.Println(\"" + word + "\")\n\tents, _ := texts.ReadDir(\"texts\")\n\tfor _, e := range ents {\n" +
			"\t\tb, _ := texts.ReadFile(\"texts/\" + e.Name())\n\t\tfmt.Print(string(b))\n\t}\n}\n"
	}
	testenv.WriteModule(t, dir, map[string]string{"main.go": main("hello-one"), "texts/a.txt": "alpha-one\n"})
	store := &cache.Store{Dir: t.TempDir()}
	step := func(what string, want goCommands, words ...string) {
		t.Helper()
		b, got := buildTraced(t, pipeline.Options{Gen: gen.Options{Dir: dir, Package: ".", Cache: store},
			Output: filepath.Join(dir, "app.xen")})
		for _, w := range words {
			if !bytes.Contains(b, []byte(w)) {
				t.Errorf("%s: the image does not have the program's %q", what, w)
			}
		}
		if got != want {
			t.Errorf("%s: ran go list %v (want %v), go build %v (want %v)", what, got.list, want.list, got.build, want.build)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step("the first build", goCommands{true, true}, "hello-one", "alpha-one")
	step("the build of the unchanged program", goCommands{false, false}, "hello-one", "alpha-one")
	write("main.go", main("hello-two"))
	step("the build after an edit", goCommands{true, true}, "hello-two")
	step("the build of the edited program, unchanged since", goCommands{false, false}, "hello-two")
	write("texts/a.txt", "alpha-two\n")
	step("the build after an embedded file changed", goCommands{true, true}, "alpha-two")
	step("the build after that, unchanged", goCommands{false, false}, "alpha-two")
	write("texts/b.txt", "beta-one\n")
	step("the build after a file came into an embedded directory", goCommands{true, true}, "alpha-two", "beta-one")
	write("extra.go", "package main\n\nfunc init() { println(\"hello-three\") }\n")
	step("the build after a file was added", goCommands{true, true}, "hello-three")
	// The speculative go build of that build started before the listing that found extra.go: it
	// cannot tell which extra.go go build read, so the next build links (up to date) to be sure.
	step("the build after that, unchanged", goCommands{false, true}, "hello-three", "beta-one")
	step("the build after that, unchanged again", goCommands{false, false}, "hello-three", "beta-one")
}

// goCommands says which go commands a build ran.
type goCommands struct{ list, build bool }

// buildTraced runs pipeline.Build with o (its Trace replaced) and returns the image and which go
// commands the build ran.
func buildTraced(t *testing.T, o pipeline.Options) ([]byte, goCommands) {
	t.Helper()
	var ran goCommands
	var mu sync.Mutex // the speculative go build traces from its goroutine
	o.Trace = func(args []string) {
		cmd := strings.Join(args, " ")
		mu.Lock()
		defer mu.Unlock()
		ran.list = ran.list || strings.Contains(cmd, "go list")
		ran.build = ran.build || strings.Contains(cmd, "go build")
	}
	r, err := pipeline.Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.Build.Image)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return b, ran
}
