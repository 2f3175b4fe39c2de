// This file implements "unikgen explain -size, -dot and -html".

package main

import (
	"bytes"
	"context"
	"log"
	"os"
	"path/filepath"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/imagesize"
	"github.com/unikgen/unikgen/internal/kernelpicture"
)

type pictureFlags struct {
	size, dot *bool
	html      *string
}

func (p pictureFlags) any() bool { return *p.size || *p.dot || *p.html != "" }

// check rejects flags that cannot go together, returning an exit status >= 0.
func (p pictureFlags) check() int {
	if *p.dot && *p.size {
		log.Print("-dot and -size both print to standard output: give one")
		return exitUsage
	}
	return -1
}

// explainPictures prints the component graph (-dot) and, after building the image, its sizes
// (-size) and the HTML page (-html).
func explainPictures(ctx context.Context, r *gen.Result, o gen.Options, p pictureFlags) int {
	module := ""
	if r.Analysis != nil {
		module = r.Analysis.Module
	}
	var comps []imagesize.Component
	var rep *imagesize.Report
	if *p.size || *p.html != "" {
		tmp, err := os.MkdirTemp("", "unikgen-explain-")
		if err != nil {
			log.Print(err)
			return exitFailure
		}
		defer os.RemoveAll(tmp)
		res, err := build.Build(ctx, build.Options{Package: o.Package, Output: filepath.Join(tmp, r.Plan.Name+".xen"), BootOverlay: r.BootOverlay})
		if err != nil {
			return buildFailed(ctx, err)
		}
		if rep, err = imagesize.Measure(res.Image); err != nil {
			log.Print(err)
			return exitFailure
		}
		rep.Image = filepath.Base(res.Image)
		in := map[string]string{}
		for _, c := range r.Plan.Components {
			if c.In {
				in[c.Name] = c.Package
			}
		}
		owned, err := kernelpicture.Owners(ctx, o.Dir, o.Env, r.Plan.Package, in)
		if err != nil {
			log.Printf("warning: components' own dependencies not found (%v): they count as dependencies", err)
		}
		comps = rep.ByComponent(kernelpicture.Classifier(r.Plan, module, owned))
	}
	var err error
	switch {
	case *p.dot:
		err = kernelpicture.WriteDOT(os.Stdout, r.Plan, comps)
	case *p.size:
		err = rep.Print(os.Stdout, comps)
	}
	if err == nil && *p.html != "" {
		var b bytes.Buffer
		if err = kernelpicture.WriteHTML(&b, r.Plan, rep, comps); err == nil {
			err = os.WriteFile(*p.html, b.Bytes(), 0o644)
		}
	}
	if err != nil {
		log.Print(err)
		return exitFailure
	}
	return exitOK
}
