package cache

// This file implements snapshots: what a key was computed from, by metadata, so that the next
// build of the same program can tell with stats alone, without running go list, that it would
// list and hash the same inputs and get the same key.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// A Snapshot records the inputs of a key by their metadata: the size and modification time of
// every file KeyFromListing read (or stat'ed), of each module's go.mod, go.sum and
// vendor/modules.txt, of the go.work files that could apply, of the go command's own
// environment file, and of the go executable the PATH finds; the names of the source files in
// each package directory that can be edited (not the standard library's or the module cache's),
// so that a file added or removed shows; and the analyser's identity (ToolID) and the environment
// variables the key covers. If none of that changed, go list would report the same packages and
// files and KeyFromListing would give Key again (Unchanged).
type Snapshot struct {
	Key   string     `json:"key"`
	Tool  string     `json:"tool"`
	Env   []string   `json:"env"`
	Go    string     `json:"go"` // the go executable the PATH finds
	Stats []PathStat `json:"stats"`
	Dirs  []DirFiles `json:"dirs"`
}

// DirFiles are the names of a package directory's source files (sourceName).
type DirFiles struct {
	Dir   string   `json:"dir"`
	Names []string `json:"names"`
}

// sourceName reports whether a file named name can be part of a package for go list: Go,
// assembly, C headers and the other sources cgo and the go command accept, and .syso objects.
func sourceName(name string) bool {
	switch filepath.Ext(name) {
	case ".go", ".s", ".S", ".sx", ".h", ".hh", ".hpp", ".hxx", ".c", ".cc", ".cpp", ".cxx", ".m",
		".f", ".F", ".for", ".f90", ".swig", ".swigcxx", ".syso":
		return true
	}
	return false
}

// sourceNames returns the sorted names of dir's source files, or nil when it cannot be read.
func sourceNames(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := []string{}
	for _, e := range ents {
		if !e.IsDir() && sourceName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

// PathStat is a path's size and modification time, Size -1 for a path that does not exist.
type PathStat struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Mod  int64  `json:"mod"` // nanoseconds since 1970
}

func statOf(path string) PathStat {
	st, err := os.Stat(path)
	if err != nil {
		return PathStat{Path: path, Size: -1}
	}
	return PathStat{Path: path, Size: st.Size(), Mod: st.ModTime().UnixNano()}
}

// envValues are the values of envKeys now.
func envValues() []string {
	var v []string
	for _, k := range envKeys {
		v = append(v, k+"="+os.Getenv(k))
	}
	return v
}

// goEnvFile is the go command's environment file (go env -w), which GOENV may name.
func goEnvFile() string {
	if f := os.Getenv("GOENV"); f != "" {
		return f
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// ErrRecent is TakeSnapshot's answer when an input changed too close to the listing to tell its
// times apart reliably: no snapshot, and the next build lists the program again.
var ErrRecent = errors.New("an input of the key changed too recently for a snapshot")

// TakeSnapshot records the inputs of key, which KeyFromListing computed from listing (go list
// -deps -json with at least ListFields, run in dir) started at listedAt. An input modified later
// than a second before listedAt gives ErrRecent: it may have changed after the listing or its
// hashing (an edit during the build), or twice within the file system's timestamp granularity,
// and the snapshot could then vouch for contents the key does not cover.
func TakeSnapshot(key string, listing []byte, dir string, listedAt time.Time) (*Snapshot, error) {
	goExe, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Key: key, Tool: ToolID(), Env: envValues(), Go: goExe}
	var paths []string
	add := func(p ...string) { paths = append(paths, p...) }
	var goroot string
	dec := json.NewDecoder(bytes.NewReader(listing))
	for {
		p := new(listed)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if p.ImportPath == "runtime" {
			goroot = filepath.Dir(filepath.Dir(p.Dir))
		}
		// The standard library and module versions in the module cache are not edited in place
		// (another version is another directory); other package directories can gain files.
		if m := p.Module; !p.Standard && (m == nil || m.Version == "" || m.Replace != nil) {
			s.Dirs = append(s.Dirs, DirFiles{Dir: p.Dir, Names: sourceNames(p.Dir)})
		}
		for _, l := range [][]string{p.GoFiles, p.SFiles, p.HFiles, p.IgnoredGoFiles} {
			for _, name := range l {
				add(filepath.Join(p.Dir, name))
			}
		}
		if m := p.Module; m != nil && m.Dir != "" {
			add(filepath.Join(m.Dir, "go.mod"), filepath.Join(m.Dir, "go.sum"), filepath.Join(m.Dir, "vendor", "modules.txt"))
		}
	}
	if goroot == "" {
		return nil, fmt.Errorf("the listing has no package runtime")
	}
	add(filepath.Join(goroot, "VERSION"), goExe, goEnvFile())
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		add(filepath.Join(d, "go.work"))
		if d == filepath.Dir(d) {
			break
		}
	}
	slices.Sort(paths)
	limit := listedAt.Add(-time.Second).UnixNano()
	for _, p := range slices.Compact(paths) {
		if p == "" {
			continue
		}
		st := statOf(p)
		if st.Mod > limit {
			return nil, ErrRecent
		}
		s.Stats = append(s.Stats, st)
	}
	return s, nil
}

// Unchanged reports whether s's inputs are as they were: the same analyser, environment and go
// executable, and every path with the same size and modification time (or still absent).
func (s *Snapshot) Unchanged() bool {
	if s == nil || s.Key == "" || s.Tool != ToolID() || !slices.Equal(s.Env, envValues()) {
		return false
	}
	if goExe, err := exec.LookPath("go"); err != nil || goExe != s.Go {
		return false
	}
	for _, st := range s.Stats {
		if statOf(st.Path) != st {
			return false
		}
	}
	for _, d := range s.Dirs {
		if !slices.Equal(sourceNames(d.Dir), d.Names) {
			return false
		}
	}
	return true
}
