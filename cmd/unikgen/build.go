// This file implements "unikgen build".

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/build"
)

func runBuild(ctx context.Context, args []string) int {
	fs := newFlags("build")
	out := fs.String("o", "", "write the image to `FILE` (default: the package name + .xen)")
	gf := addGenFlags(fs)
	pkg, _, code := parseArgs(fs, args, false)
	if code >= 0 {
		return code
	}
	if _, err := build.Resolve(ctx, build.Options{Package: pkg}); err != nil {
		return buildFailed(err)
	}
	boot, code := bootFiles(ctx, gf, pkg)
	if code >= 0 {
		return code
	}
	res, err := build.Build(ctx, build.Options{Package: pkg, Output: *out, BootOverlay: boot})
	if err != nil {
		return buildFailed(err)
	}
	os.Stderr.Write(res.Stderr)
	fmt.Printf("%s: %d bytes\n", res.Image, res.Size)
	return exitOK
}

// bootFiles runs the generator for pkg and returns the files of the composition root, or an exit
// status >= 0. A program that does not load (it does not compile) is handed to go build without
// them, so that the user reads go build's own messages and gets its exit status 1.
func bootFiles(ctx context.Context, gf *genFlags, pkg string) (map[string][]byte, int) {
	r, err := gen.Generate(ctx, gf.options(pkg))
	if err == nil {
		err = r.Unsupported()
	}
	if err == nil {
		return r.BootOverlay, -1
	}
	var le *gen.LoadError
	if errors.As(err, &le) {
		if tmp, terr := os.MkdirTemp("", "unikgen-check-"); terr == nil {
			defer os.RemoveAll(tmp)
			if _, berr := build.Build(ctx, build.Options{Package: pkg, Output: filepath.Join(tmp, "kernel")}); berr != nil {
				return nil, buildFailed(berr)
			}
		}
	}
	return nil, genFailed(err)
}

// buildFailed reports a build error and returns the exit status: go build's messages unchanged
// with 1, a bad package with 2.
func buildFailed(err error) int {
	var ge *build.GoError
	var pe *build.PackageError
	switch {
	case errors.As(err, &ge):
		os.Stderr.Write(ge.Stderr)
		return exitFailure
	case errors.As(err, &pe):
		log.Print(err)
		return exitUsage
	}
	log.Print(err)
	return exitFailure
}

// parseArgs parses "[flags] [PACKAGE] [flags]", and with dashArgs also "-- ARGS...". It returns
// code -1 when the command should go on.
func parseArgs(fs *flag.FlagSet, args []string, dashArgs bool) (pkg string, rest []string, code int) {
	if dashArgs {
		for i, a := range args {
			if a == "--" {
				args, rest = args[:i], args[i+1:]
				if rest == nil {
					rest = []string{}
				}
				break
			}
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", nil, exitOK
			}
			return "", nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pkg, rest, -1
		}
		if pkg != "" {
			log.Printf("more than one package (%s, %s); program arguments go after --", pkg, args[0])
			fs.Usage()
			return "", nil, exitUsage
		}
		pkg, args = args[0], args[1:]
	}
}
