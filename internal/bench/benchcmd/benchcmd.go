// Package benchcmd is what the benchmark commands of internal/bench share besides their figures
// (package runstats): how they start (log prefix, flags, QEMU, a scratch directory), the
// kernels and Linux binaries they build, and the interleaving of rounds between the systems
// they compare.
package benchcmd

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/pipeline"
)

// Start starts benchmark command name: its log messages start with "name: " and carry no time,
// and its flags are parsed. With needQEMU, a missing qemu-system-x86_64 ends the command.
func Start(name string, needQEMU bool) {
	log.SetPrefix(name + ": ")
	log.SetFlags(0)
	flag.Parse()
	if needQEMU {
		if _, err := qemu.LookPath(""); err != nil {
			log.Fatal(err)
		}
	}
}

// TempDir makes the command's scratch directory, whose name starts with name; the command
// removes it (os.RemoveAll) when done. A failure ends the command.
func TempDir(name string) string {
	dir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

// Kernel builds pkg into dir as `unikgen build` does (pipeline.Build): specialised for it, or
// with the generic composition root. A failure ends the command.
func Kernel(ctx context.Context, dir, pkg string, generic bool) string {
	out := filepath.Join(dir, fmt.Sprintf("%s-%v.xen", filepath.Base(pkg), generic))
	if _, err := pipeline.Build(ctx, pipeline.Options{Gen: gen.Options{Package: pkg, Generic: generic}, Output: out}); err != nil {
		log.Fatal(err)
	}
	return out
}

// LinuxBinary builds pkg into dir as a static Linux binary with the kernel's build environment
// (libos.BuildEnv), the baseline the kernel is measured against. A failure ends the command.
func LinuxBinary(dir, pkg string) string {
	bin := filepath.Join(dir, filepath.Base(pkg)+".linux")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), libos.BuildEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Interleave calls run for each of n systems in each of rounds rounds, in turn: in ascending
// order in even rounds and descending in odd ones, so that a drift of the host's load weighs on
// every system alike.
func Interleave(rounds, n int, run func(round, i int)) {
	for round := 0; round < rounds; round++ {
		for k := 0; k < n; k++ {
			i := k
			if round%2 == 1 {
				i = n - 1 - k
			}
			run(round, i)
		}
	}
}

// Tail returns the last n bytes of s, or s when it is shorter: the end of a console log, for
// an error message.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// FreePort returns a TCP port of 127.0.0.1 that nothing listens on now (for a forwarded guest
// port). A failure ends the command.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
