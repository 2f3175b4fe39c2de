package cache

// This file implements snapshots: what a key covered, so that the next build of the same program
// can tell without running go list that it would list and hash the same inputs and get the same
// key.

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// A Snapshot records what a key covered, as the key saw it: each file the key hashed by the same
// SHA-256 (the program's own files, and any outside GOROOT and the module cache), each file the
// key took by size and modification time by those; the go.mod, go.sum and vendor/modules.txt of
// each module, the go.work files that could apply and the go command's environment file, by
// their contents; the go executable the PATH finds, by its size and time; the source-file names
// of each package directory outside GOROOT and the module cache (a file added or removed shows);
// the analyser's identity (ToolID) and the environment variables the key covers. If all of that is
// as it was, go list would report the same packages and files and the key would be Key again
// (Unchanged). Because the files' states are those the key was computed from, an edit made while
// a build runs is never vouched for: it makes the next build list again.
type Snapshot struct {
	Key   string      `json:"key"`
	Tool  string      `json:"tool"`
	Env   []string    `json:"env"`
	Go    FileState   `json:"go"`
	Files []FileState `json:"files"`
	Dirs  []DirFiles  `json:"dirs"`
}

// FileState is a file's contents (Sum, hex SHA-256; "-" for a file that does not exist) or, for
// a file taken by its metadata, its size and modification time (Sum empty).
type FileState struct {
	Path string `json:"path"`
	Sum  string `json:"sum,omitempty"`
	Size int64  `json:"size,omitempty"`
	Mod  int64  `json:"mod,omitempty"` // nanoseconds since 1970
}

// DirFiles are the names of a package directory's source files (sourceName).
type DirFiles struct {
	Dir   string   `json:"dir"`
	Names []string `json:"names"`
}

const absent = "-"

func sumOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return absent
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func statState(path string) FileState {
	st, err := os.Stat(path)
	if err != nil {
		return FileState{Path: path, Sum: absent}
	}
	return FileState{Path: path, Size: st.Size(), Mod: st.ModTime().UnixNano()}
}

// now returns the state of the file f describes, taken the same way.
func (f FileState) now() FileState {
	if f.Sum != "" {
		return FileState{Path: f.Path, Sum: sumOf(f.Path)}
	}
	return statState(f.Path)
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

// KeySnapshot is KeyFromListing with the snapshot of the key's inputs; the snapshot is nil when
// a package directory's files no longer match the listing (a file came or went since go list).
func KeySnapshot(out []byte, in Inputs, ignore func(importPath string) bool) (string, *Snapshot, error) {
	key, files, pkgs, err := keyFiles(out, in, ignore)
	if err != nil {
		return "", nil, err
	}
	goExe, err := exec.LookPath("go")
	if err != nil {
		return key, nil, nil
	}
	s := &Snapshot{Key: key, Tool: ToolID(), Env: envValues(), Go: statState(goExe)}
	for _, f := range files {
		if f.statOnly {
			s.Files = append(s.Files, FileState{Path: f.path, Size: f.stat.Size(), Mod: f.stat.ModTime().UnixNano()})
		} else {
			s.Files = append(s.Files, FileState{Path: f.path, Sum: hex.EncodeToString(f.sum[:])})
		}
	}
	var meta []string
	for _, p := range pkgs {
		m := p.Module
		if m != nil && m.Dir != "" {
			meta = append(meta, filepath.Join(m.Dir, "go.mod"), filepath.Join(m.Dir, "go.sum"), filepath.Join(m.Dir, "vendor", "modules.txt"))
		}
		if p.Standard || m != nil && m.Version != "" && m.Replace == nil {
			continue // not edited in place
		}
		names := sourceNames(p.Dir)
		listed := map[string]bool{}
		for _, l := range [][]string{p.GoFiles, p.SFiles, p.HFiles, p.IgnoredGoFiles} {
			for _, n := range l {
				listed[n] = true
			}
		}
		for _, n := range names {
			switch filepath.Ext(n) {
			case ".go", ".s", ".h":
				if !listed[n] && !strings.HasSuffix(n, "_test.go") {
					return key, nil, nil // came after the listing
				}
			}
		}
		s.Dirs = append(s.Dirs, DirFiles{Dir: p.Dir, Names: names})
	}
	if abs, err := filepath.Abs(in.Dir); err == nil {
		for d := abs; ; d = filepath.Dir(d) {
			meta = append(meta, filepath.Join(d, "go.work"))
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	meta = append(meta, goEnvFile())
	slices.Sort(meta)
	for _, p := range slices.Compact(meta) {
		if p != "" {
			s.Files = append(s.Files, FileState{Path: p, Sum: sumOf(p)})
		}
	}
	return key, s, nil
}

// Unchanged reports whether s's inputs are as they were: the same analyser, environment and go
// executable, every file in the same state and every package directory with the same source
// files.
func (s *Snapshot) Unchanged() bool {
	if s == nil || s.Key == "" || s.Tool != ToolID() || !slices.Equal(s.Env, envValues()) {
		return false
	}
	if goExe, err := exec.LookPath("go"); err != nil || statState(goExe) != s.Go {
		return false
	}
	for _, f := range s.Files {
		if f.now() != f {
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
