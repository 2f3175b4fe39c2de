// This file implements "unikgen diff".

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"

	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/textdiff"
	"github.com/unikgen/unikgen/internal/version"
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
		if err == nil {
			if note := versionNote(relPaths(f.Path), gen.RecordVersion(old), version.String()); note != "" {
				log.Print(note)
			}
		}
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

// versionNote says, when the record in the package directory was written by another version of
// unikgen (was; "" for a record older than the version field) than this one (now), that the
// differences may come from unikgen rather than from the program; "" when the versions agree.
func versionNote(name, was, now string) string {
	if was == now {
		return ""
	}
	if was == "" {
		was = "a version older than " + now + " (the record names none)"
	}
	return fmt.Sprintf("%s was written by unikgen %s; this is unikgen %s: some differences below may come from the new version of unikgen, not from a change of the program (run unikgen generate to record them)", name, was, now)
}
