// This file implements "unikgen generate".

package main

import (
	"context"
	"log"
)

func runGenerate(ctx context.Context, args []string) int {
	fs := newFlags("generate")
	gf := addGenFlags(fs)
	pkg, _, code := parseArgs(fs, args, false)
	if code >= 0 {
		return code
	}
	r, code := generate(ctx, gf.options(pkg))
	if code >= 0 {
		return code
	}
	if err := r.Unsupported(); err != nil {
		return genFailed(ctx, err)
	}
	if err := r.Commit(); err != nil {
		log.Print(err)
		return exitFailure
	}
	return exitOK
}
