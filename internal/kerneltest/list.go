// This file implements finding the packages to test and the library OS they build against.

package kerneltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/unikgen/unikgen/internal/childproc"
	"github.com/unikgen/unikgen/internal/libos"
)

// Package is one package to test, as go list reports it in the kernel's build configuration.
type Package struct {
	ImportPath   string
	Name         string
	Dir          string
	TestGoFiles  []string
	XTestGoFiles []string
	Module       *struct{ Dir string }
	Error        *struct{ Err string }
}

// HasTests reports whether the package has test files.
func (p *Package) HasTests() bool { return len(p.TestGoFiles)+len(p.XTestGoFiles) > 0 }

// libosDirs are the directories of the library OS packages that the composition root needs.
type libosDirs struct {
	boot, sys, sysno string
	xen              bool
}

// goCommand returns the go command with the kernel's build environment, run in o.Dir.
func goCommand(ctx context.Context, o *Options, args ...string) *exec.Cmd {
	goTool := o.Go
	if goTool == "" {
		goTool = "go"
	}
	cmd := childproc.Command(ctx, goTool, args...)
	cmd.Dir = o.Dir
	cmd.Env = append(append(os.Environ(), libos.BuildEnv()...), o.ExtraEnv...)
	return cmd
}

// goList runs go list -e -json over patterns and decodes the packages it prints into new
// values of *T.
func goList[T any](ctx context.Context, o *Options, fields string, patterns ...string) ([]*T, error) {
	var stdout, stderr bytes.Buffer
	cmd := goCommand(ctx, o, append([]string{"list", "-e", "-json=" + fields, "--"}, patterns...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := childproc.Run(cmd, nil); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("go list %s: %s", strings.Join(patterns, " "), msg)
	}
	var out []*T
	dec := json.NewDecoder(&stdout)
	for {
		v := new(T)
		if err := dec.Decode(v); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		out = append(out, v)
	}
}

// listPackages returns the packages that patterns match.
func listPackages(ctx context.Context, o *Options) ([]*Package, error) {
	pats := o.Patterns
	if len(pats) == 0 {
		pats = []string{"."}
	}
	for _, p := range pats {
		if strings.HasSuffix(p, ".go") {
			return nil, fmt.Errorf("%s: unikgen test tests packages (directories or import paths), not lists of .go files", p)
		}
	}
	return goList[Package](ctx, o, "ImportPath,Name,Dir,TestGoFiles,XTestGoFiles,Module,Error", pats...)
}

// findLibOS returns the directories of the library OS as the module in o.Dir resolves it.
func findLibOS(ctx context.Context, o *Options) (*libosDirs, error) {
	type listed struct {
		ImportPath string
		Dir        string
		Error      *struct{ Err string }
	}
	pkgs, err := goList[listed](ctx, o, "ImportPath,Dir,Error", libos.BootPackage, libos.SysPackage, libos.SysnoPackage, libos.PlatformXen)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for _, p := range pkgs {
		if p.Error == nil && p.Dir != "" {
			dirs[p.ImportPath] = p.Dir
		}
	}
	for _, need := range []string{libos.BootPackage, libos.SysPackage, libos.SysnoPackage} {
		if dirs[need] == "" {
			return nil, fmt.Errorf("cannot find the library OS package %s: the main module must require %s (go get %s)", need, libos.Module, libos.Module)
		}
	}
	return &libosDirs{boot: dirs[libos.BootPackage], sys: dirs[libos.SysPackage], sysno: dirs[libos.SysnoPackage], xen: dirs[libos.PlatformXen] != ""}, nil
}
