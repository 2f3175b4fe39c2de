package boottest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/bootcases"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the programs run on Linux")

// programs are the programs TestBoot and TestLinux run (shared with internal/xenboot).
var programs = bootcases.Programs

// images builds each kernel once per test binary.
var images *bootcases.Images

// kernel returns the generic kernel image of pkg (every component), building it on first use.
func kernel(t *testing.T, pkg string) string { return images.Generic(t, pkg) }

// specialised returns the kernel image of pkg that the generator specialises for it, as
// `unikgen build` makes it, building it on first use.
func specialised(t *testing.T, pkg string) string { return images.Specialised(t, pkg, "") }

func moduleRoot() string { return testenv.ModuleRoot() }

func TestMain(m *testing.M) {
	if os.Getenv(spinEnv) != "" {
		spin() // a CPU hog for TestClockRate
	}
	flag.Parse()
	var err error
	images, err = bootcases.NewImages("unikgen-boottest-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	images.Remove()
	os.Exit(code)
}

// TestBoot boots every program under QEMU (TCG, microvm).
func TestBoot(t *testing.T) {
	testenv.NeedBoot(t, "boots kernels")
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			img := kernel(t, p.Pkg)
			var console bytes.Buffer
			res, err := qemu.Run(context.Background(), qemu.Config{
				Kernel: img, Env: p.Env, Args: p.Args, Machine: p.Machine, Console: &console, Timeout: 120 * time.Second,
			})
			if err != nil {
				t.Fatalf("%v; console:\n%s", err, console.String())
			}
			if !res.Exact {
				t.Errorf("the kernel did not report the status on the debug console (QEMU's exit code gave %d)", res.Status)
			}
			p.Check(t, "kernel", console.String(), res.Status)
			t.Logf("%s: status %d in %v", p.Name, res.Status, res.Wall.Round(time.Millisecond))
		})
	}
}

// TestLinux runs every program as an ordinary Linux program: the expectations of TestBoot must
// hold there too. With -update it rewrites the golden files from this run.
func TestLinux(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs linux/amd64")
	}
	if testing.Short() {
		t.Skip("builds programs; skipped with -short")
	}
	dir := t.TempDir()
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			bin := filepath.Join(dir, strings.ReplaceAll(p.Pkg, "/", "_"))
			if _, err := os.Stat(bin); err != nil {
				cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./"+p.Pkg)
				cmd.Dir = moduleRoot()
				cmd.Env = append(os.Environ(), libos.BuildEnv()...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build: %v\n%s", err, out)
				}
			}
			cmd := exec.Command(bin, p.Args...)
			cmd.Env = append([]string{}, p.Env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if *update && p.Golden != "" {
				if err := os.WriteFile(bootcases.GoldenPath(p.Golden), out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p.Check(t, "linux", out.String(), status)
		})
	}
}
