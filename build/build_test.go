package build

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"github.com/unikgen/unikgen/internal/libos"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unikgen/unikgen/image"
	"github.com/unikgen/unikgen/internal/testenv"
)

// moduleRoot is the checkout this test runs in.
func moduleRoot(t *testing.T) string { return testenv.ModuleRoot() }

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds kernels; skipped with -short")
	}
	testenv.NeedGo(t)
}

// snapshot lists a directory's files with their sizes and modification times.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + " " + info.ModTime().String() + " " + info.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkKernel checks that an image is a patched kernel entered at runtime/boot.pvhEntry.
func checkKernel(t *testing.T, res *Result) {
	t.Helper()
	b, err := os.ReadFile(res.Image)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != res.Size {
		t.Errorf("Result.Size %d, file has %d bytes", res.Size, len(b))
	}
	entry, err := image.Entry(b)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(0)
	for _, s := range syms {
		if s.Name == libos.EntrySymbol+".abi0" { // -E resolves to the assembly (ABI0) symbol
			want = s.Value
		}
	}
	if want == 0 || entry != want || res.Entry != want {
		t.Errorf("note entry %#x, Result.Entry %#x, %s at %#x", entry, res.Entry, libos.EntrySymbol, want)
	}
}

func TestBuildExample(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	before := snapshot(t, filepath.Join(root, "examples", "hello"))
	out := filepath.Join(t.TempDir(), "hello.xen")
	res, err := Build(context.Background(), Options{Dir: root, Package: "./examples/hello", Output: out})
	if err != nil {
		t.Fatal(err)
	}
	checkKernel(t, res)
	if res.Package.ImportPath != "github.com/unikgen/unikgen/examples/hello" || res.Package.Module != "github.com/unikgen/unikgen" {
		t.Errorf("Package = %+v", res.Package)
	}
	if got, want := res.Package.BootDir, filepath.Join(root, "runtime", "boot"); got != want {
		t.Errorf("BootDir = %s, want %s", got, want)
	}
	if after := snapshot(t, filepath.Join(root, "examples", "hello")); after != before {
		t.Errorf("the package directory changed:\nbefore\n%safter\n%s", before, after)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("output directory holds %d files, want only the image", len(entries))
	}
}

// TestBuildBootOverlay replaces the composition root and finds the new program name in the image.
func TestBuildBootOverlay(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "runtime", "boot", "config_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	const from, to = `ProgramName = "unikgen"`, `ProgramName = "zz-overlay-name"`
	if !bytes.Contains(src, []byte(from)) {
		t.Skipf("runtime/boot/config_gen.go has no %s; update this test", from)
	}
	out := filepath.Join(t.TempDir(), "hello.xen")
	_, err = Build(context.Background(), Options{Dir: root, Package: "./examples/hello", Output: out,
		BootOverlay: map[string][]byte{"config_gen.go": bytes.Replace(src, []byte(from), []byte(to), 1)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !bytes.Contains(b, []byte("zz-overlay-name")) {
		t.Error("the image does not contain the program name from the overlaid config_gen.go")
	}
}

// writeModule writes a module (testenv.WriteModule: one that requires this checkout through a
// replace directive, unless files has its own go.mod) and returns its directory.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteModule(t, dir, files)
	return dir
}

func TestBuildOtherModule(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{
		"cmd/app/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"app\") }\n",
	})
	out := filepath.Join(t.TempDir(), "app.xen")
	res, err := Build(context.Background(), Options{Dir: dir, Package: "./cmd/app", Output: out})
	if err != nil {
		t.Fatal(err)
	}
	checkKernel(t, res)
	if res.Package.ImportPath != "example.com/app/cmd/app" {
		t.Errorf("ImportPath = %s", res.Package.ImportPath)
	}
}

func TestBuildErrors(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	noUnikgen := writeModule(t, map[string]string{
		"go.mod":  "module example.com/plain\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() {}\n",
	})
	tests := []struct {
		dir, pkg string
		want     string
	}{
		{root, "./image", "./image: github.com/unikgen/unikgen/image is not a main package (it is package image)"},
		{root, "./examples/nonexistent", "./examples/nonexistent: "},
		{root, "./examples/...", "./examples/...: matches "},
		{root, "examples/hello/main.go", "not a list of .go files"},
		{noUnikgen, ".", ".: cannot find the library OS github.com/unikgen/unikgen/runtime/boot: "},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "k.xen")
		_, err := Build(context.Background(), Options{Dir: tt.dir, Package: tt.pkg, Output: out})
		var pe *PackageError
		if !errors.As(err, &pe) {
			t.Errorf("Build(%s): err = %v, want a *PackageError", tt.pkg, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%s): err = %q, want it to contain %q", tt.pkg, err, tt.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("Build(%s) failed but wrote %s", tt.pkg, out)
		}
		t.Logf("%s: %v", tt.pkg, err)
	}
}

// TestBuildGoError checks that go build's messages reach the caller exactly as go build prints them.
func TestBuildGoError(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(undefinedName)\n\tvar unused int\n}\n",
	})
	out := filepath.Join(t.TempDir(), "k.xen")
	_, err := Build(context.Background(), Options{Dir: dir, Output: out})
	var ge *GoError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GoError", err)
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), libos.BuildEnv()...)
	want, _ := cmd.CombinedOutput()
	if !bytes.Equal(ge.Stderr, want) {
		t.Errorf("GoError.Stderr:\n%s\nwant what go build prints:\n%s", ge.Stderr, want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed build wrote the image")
	}
}

func TestDefaultImageName(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/unikgen/unikgen/examples/hello": "hello.xen",
		"example.com/app/v2":                        "app.xen",
		"example.com/v2app":                         "v2app.xen",
		"v2":                                        "v2.xen",
		"hello":                                     "hello.xen",
	} {
		if got := DefaultImageName(in); got != want {
			t.Errorf("DefaultImageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuildZeroTail builds a program whose BSS ends in a 32 MiB array: the image's writable
// segment must end, in memory, right after the library OS's variables, leaving the array to the
// kernel's demand paging (image.ShrinkZeroTail), so that a loader needs 4-5 MiB, not 36.
func TestBuildZeroTail(t *testing.T) {
	needGo(t)
	out := filepath.Join(t.TempDir(), "bigbss.xen")
	res, err := Build(context.Background(), Options{Dir: moduleRoot(t), Package: "./internal/boottest/testdata/bigbss", Output: out})
	if err != nil {
		t.Fatal(err)
	}
	checkKernel(t, res)
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var loadEnd uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loadEnd = max(loadEnd, p.Vaddr+p.Memsz)
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var big, kernelEnd uint64
	for _, s := range syms {
		if s.Name == "main.big" {
			big = s.Value
		}
		if strings.HasPrefix(s.Name, "github.com/unikgen/unikgen/runtime/") || strings.HasPrefix(s.Name, "github.com/unikgen/unikgen/drivers/") {
			kernelEnd = max(kernelEnd, s.Value+s.Size)
		}
	}
	if big == 0 || loadEnd > big+4096 || loadEnd < kernelEnd || loadEnd%4096 != 0 {
		t.Errorf("loaded image ends at %#x; main.big at %#x, the library OS's variables end at %#x", loadEnd, big, kernelEnd)
	}
}

// TestBuildProgress checks what Options.Progress hears: nothing for a warm build, and the cold
// message for a build whose go build cache is empty (that build is cancelled once heard).
func TestBuildProgress(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	defer func(d time.Duration) { SlowBuildAfter = d }(SlowBuildAfter)
	SlowBuildAfter = 0 // check at once
	opts := Options{Dir: root, Package: "./examples/hello", Output: filepath.Join(t.TempDir(), "hello.xen")}
	if _, err := Build(context.Background(), opts); err != nil { // warms the cache
		t.Fatal(err)
	}
	var heard []string
	opts.Progress = func(msg string) { heard = append(heard, msg) }
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 0 {
		t.Errorf("warm build: progress %q, want none", heard)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cold := make(chan string, 2)
	opts.ExtraEnv = []string{"GOCACHE=" + t.TempDir()}
	opts.Progress = func(msg string) {
		cold <- msg
		cancel() // no need to wait for the standard library to compile
	}
	Build(ctx, opts)
	select {
	case msg := <-cold:
		if msg != ColdMessage {
			t.Errorf("cold build: progress %q, want %q", msg, ColdMessage)
		}
	default:
		t.Errorf("cold build: no progress message")
	}
}

// TestBuildLinkDir builds twice into one LinkDir: the second go build finds the linker's output
// up to date and leaves it in place (go build touches it but does not replace it, as a link
// does: the file keeps its inode), and the images are the same.
func TestBuildLinkDir(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	link := t.TempDir()
	opts := Options{Dir: root, Package: "./examples/hello", LinkDir: link}
	var images [][]byte
	var inodes []uint64
	for i := 0; i < 2; i++ {
		opts.Output = filepath.Join(t.TempDir(), "hello.xen")
		res, err := Build(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Image)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, b)
		st, err := os.Stat(filepath.Join(link, "kernel.elf"))
		if err != nil {
			t.Fatal(err)
		}
		inodes = append(inodes, st.Sys().(*syscall.Stat_t).Ino)
	}
	if !bytes.Equal(images[0], images[1]) {
		t.Errorf("the second image differs from the first")
	}
	if inodes[1] != inodes[0] {
		t.Errorf("go build linked again (a new file replaced the linker's output)")
	}
}

// TestBuildLinkDirConcurrent builds two kernels with other composition roots into one LinkDir at
// once: each image is its own (the program's name is in the root), not the other's.
func TestBuildLinkDirConcurrent(t *testing.T) {
	needGo(t)
	root := moduleRoot(t)
	link := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "runtime", "boot", "config_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"first-kernel-name", "second-kernel-name"}
	errs := make(chan error, len(names))
	for _, name := range names {
		go func() {
			rootSrc := bytes.Replace(src, []byte(`"unikgen"`), []byte(strconv.Quote(name)), 1)
			if bytes.Equal(rootSrc, src) {
				errs <- fmt.Errorf("the generic root has no program name \"unikgen\" to replace")
				return
			}
			res, err := Build(context.Background(), Options{Dir: root, Package: "./examples/hello", LinkDir: link,
				Output: filepath.Join(t.TempDir(), name+".xen"), BootOverlay: map[string][]byte{"config_gen.go": rootSrc}})
			if err != nil {
				errs <- err
				return
			}
			b, err := os.ReadFile(res.Image)
			if err == nil && !bytes.Contains(b, []byte(name)) {
				err = fmt.Errorf("the image of %s does not have its name", name)
			}
			errs <- err
		}()
	}
	for range names {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLockDir checks the LinkDir lock: a second taker waits while the first holds it (and gives up
// when its context ends), and gets it once released.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if u, err := lockDir(ctx, dir); err == nil {
		u()
		t.Fatal("took a lock that another holder has")
	}
	unlock()
	u, err := lockDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	u()
}
