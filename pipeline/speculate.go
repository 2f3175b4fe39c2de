package pipeline

// This file implements the speculative go build: while the package is listed and the plan made,
// go build runs with what the last build of the same program and flags had (the package as
// resolved, the composition root); when the new build has the same, its image is that one.

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/build"
)

// lastBuild is what a build leaves in its link directory for the next one: the speculation's
// package and overlay, the snapshot of its analysis key's inputs, which lets the next build skip
// the listing (and take Package as resolved) when none of them changed, and the linker's output
// that the snapshot vouches for, which lets it skip go build too.
type lastBuild struct {
	Package  build.Package     `json:"package"`
	Overlay  map[string][]byte `json:"overlay"` // the boot overlay, by file name
	Snapshot *cache.Snapshot   `json:"snapshot,omitempty"`
	Linked   *build.LinkedFile `json:"linked,omitempty"`
}

const lastBuildFile = "last-build.json"

// readLast returns the last build recorded in dir, or nil.
func readLast(dir string) *lastBuild {
	b, err := os.ReadFile(filepath.Join(dir, lastBuildFile))
	if err != nil {
		return nil
	}
	l := new(lastBuild)
	if json.Unmarshal(b, l) != nil || l.Package.ImportPath == "" {
		return nil
	}
	return l
}

// writeLast records the build of pkg with overlay, snapshot snap (nil: none) and the linker's
// output that snap vouches for (nil: none) in dir (atomically; a failure only loses the next
// build's head start).
func writeLast(dir string, pkg *build.Package, overlay map[string][]byte, snap *cache.Snapshot, linked *build.LinkedFile) {
	p := *pkg
	p.Listing = nil
	b, err := json.Marshal(lastBuild{Package: p, Overlay: overlay, Snapshot: snap, Linked: linked})
	if err != nil {
		return
	}
	f, err := os.CreateTemp(dir, lastBuildFile+".tmp-*")
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, lastBuildFile))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// speculation is a go build started with the last build's package and overlay.
type speculation struct {
	last   *lastBuild
	cancel context.CancelFunc
	done   chan struct{}
	res    *build.Result
	err    error
	tmp    string
}

// speculate starts building bo (its LinkDir set) as last, the last build in bo.LinkDir, did, into
// a temporary image; nil when there is no last build.
func speculate(ctx context.Context, bo build.Options, last *lastBuild) *speculation {
	if last == nil {
		return nil
	}
	tmp, err := os.MkdirTemp("", "unikgen-speculative-")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &speculation{last: last, cancel: cancel, done: make(chan struct{}), tmp: tmp}
	pkg := last.Package
	bo.Resolved, bo.BootOverlay, bo.Output = &pkg, last.Overlay, filepath.Join(tmp, "kernel.xen")
	bo.Progress = nil // the real build says it, if it has to
	go func() {
		defer close(s.done)
		s.res, s.err = build.Build(ctx, bo)
	}()
	return s
}

// matches reports whether the speculation built what a build of pkg with overlay would.
func (s *speculation) matches(pkg *build.Package, overlay map[string][]byte) bool {
	a, b := s.last.Package, *pkg
	a.Listing, b.Listing = nil, nil
	return reflect.DeepEqual(a, b) && sameOverlay(s.last.Overlay, overlay)
}

// sameOverlay reports whether two boot overlays have the same files with the same contents.
func sameOverlay(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

// result waits for the speculative build and returns its result when it matches pkg and overlay
// and succeeded, with the image moved to output; else it stops it and returns nil.
func (s *speculation) result(pkg *build.Package, overlay map[string][]byte, output string) *build.Result {
	defer os.RemoveAll(s.tmp)
	if !s.matches(pkg, overlay) {
		s.cancel()
		<-s.done
		return nil
	}
	<-s.done
	s.cancel()
	if s.err != nil {
		return nil
	}
	b, err := os.ReadFile(s.res.Image)
	if err != nil || build.WriteImage(output, b) != nil {
		return nil
	}
	r := *s.res
	r.Package, r.Image = *pkg, output
	return &r
}

// stop ends the speculation when the build ends before it needs it (an error, say).
func (s *speculation) stop() {
	if s != nil {
		s.cancel()
		<-s.done
		os.RemoveAll(s.tmp)
	}
}
