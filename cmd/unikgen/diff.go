// This file implements "unikgen diff".

package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/unikgen/unikgen/internal/textdiff"
)

func runDiff(ctx context.Context, args []string) int {
	flags := newFlags("diff")
	gf := addGenFlags(flags)
	pkg, _, code := parseArgs(flags, args, false)
	if code >= 0 {
		return code
	}
	r, code := generate(ctx, gf.options(pkg))
	if code >= 0 {
		return exitUsage // trouble
	}
	if err := r.Unsupported(); err != nil {
		genFailed(ctx, err)
		return exitUsage
	}
	stale := false
	for _, f := range r.Files {
		old, err := os.ReadFile(f.Path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			printErr(err)
			return exitUsage
		}
		if bytes.Equal(old, f.Content) {
			continue
		}
		stale = true
		name := relPaths(f.Path)
		oldName := name
		if err != nil {
			oldName = "/dev/null"
		}
		os.Stdout.WriteString(textdiff.Unified(oldName, name, string(old), string(f.Content)))
	}
	if stale {
		return exitFailure
	}
	return exitOK
}
