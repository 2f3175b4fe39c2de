package cache

// This file implements snapshots: what a key covered, so that the next build of the same program
// can tell without running go list that it would list and hash the same inputs and get the same
// key.

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/unikgen/unikgen/internal/libos"
)

// A Snapshot records what a key covered, as the key saw it: each file the key hashed by the same
// SHA-256 (the program's own files, and any outside GOROOT and the module cache), each file the
// key took by size and modification time by those; the go.mod, go.sum and vendor/modules.txt of
// each module, the go.work files that could apply and the go command's environment file, by
// their contents; the go executable the PATH finds, by its size and time; the source-file names
// (tests aside) of each package directory outside GOROOT and the module cache (a file added or
// removed shows);
// the analyser's identity (ToolID) and the environment variables the key covers. If all of that is
// as it was, go list would report the same packages and files and the key would be Key again
// (Unchanged). Because the files' states are those the key was computed from, an edit made while
// a build runs is never vouched for: it makes the next build list again.
//
// A snapshot also covers what go build reads beyond the analysis, so that it can vouch for a
// built image (Vouches): the files the packages embed and their .syso objects, the entries of the
// directories that hold embedded files and of the package directories' entries that an embed
// pattern's first element matches (a file that a pattern would match shows), and the source
// files under each module root edited in place whose packages the listing does not show (Roots:
// the library OS's module when it is not a module-cache version, the main module's replacements
// by directories and its vendor directory), which the composition root can import (Trees, taken by
// WalkTrees).
type Snapshot struct {
	Key    string      `json:"key"`
	Tool   string      `json:"tool"`
	Env    []string    `json:"env"`
	Go     FileState   `json:"go"`
	Files  []FileState `json:"files"`
	Dirs   []DirFiles  `json:"dirs"`
	Embeds []DirFiles  `json:"embeds,omitempty"` // all entries, not only source files
	Roots  []string    `json:"roots,omitempty"`
	Trees  []Tree      `json:"trees,omitempty"`
	// NoBuild says why the snapshot cannot vouch for a build ("": it can), for example a
	// go.work file, whose modules the snapshot does not follow.
	NoBuild string `json:"nobuild,omitempty"`
}

// A Tree is the state of the source files under a module root (WalkTrees).
type Tree struct {
	Root  string      `json:"root"`
	Files []FileState `json:"files"`
}

// FileState is a file's contents (Sum, hex SHA-256; "-" for a file that does not exist) or, for
// a file taken by its metadata, its size and modification time (Sum empty).
type FileState struct {
	Path string `json:"path"`
	Sum  string `json:"sum,omitempty"`
	Size int64  `json:"size,omitempty"`
	Mod  int64  `json:"mod,omitempty"` // nanoseconds since 1970
}

// DirFiles are the names of a package directory's source files (sourceName), or, in
// Snapshot.Embeds, of all a directory's entries.
type DirFiles struct {
	Dir   string   `json:"dir"`
	Names []string `json:"names"`
	// Patterns, in Snapshot.Embeds, are the embed patterns of a package directory, whose
	// entries Names are only those that a pattern's first element matches (embedMatches).
	Patterns []string `json:"patterns,omitempty"`
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

// sourceNames returns the sorted names of dir's source files but tests, or nil when it cannot be
// read.
func sourceNames(dir string) []string {
	return entryNames(dir, func(e os.DirEntry) bool {
		return !e.IsDir() && sourceName(e.Name()) && !strings.HasSuffix(e.Name(), "_test.go")
	})
}

// allNames returns the sorted names of all of dir's entries, or nil when it cannot be read.
func allNames(dir string) []string {
	return entryNames(dir, func(os.DirEntry) bool { return true })
}

func entryNames(dir string, keep func(os.DirEntry) bool) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := []string{}
	for _, e := range ents {
		if keep(e) {
			names = append(names, e.Name())
		}
	}
	return names
}

// embedMatches returns the sorted names of the entries of a package directory dir that the first
// element of an embed pattern matches: the files and directories that patterns can embed, and not
// the rest (an image written beside the program, say).
func embedMatches(dir string, patterns []string) []string {
	return entryNames(dir, func(e os.DirEntry) bool {
		for _, p := range patterns {
			first, _, _ := strings.Cut(strings.TrimPrefix(p, "all:"), "/")
			if ok, _ := path.Match(first, e.Name()); ok {
				return true
			}
		}
		return false
	})
}

// treeFile reports whether go build can read a file named name under a module root: a source file
// other than a test, or the module's go.mod and go.sum.
func treeFile(name string) bool {
	return sourceName(name) && !strings.HasSuffix(name, "_test.go") || name == "go.mod" || name == "go.sum"
}

// WalkTrees returns the state of the files under each root that go build can read (treeFile), by
// size and modification time: every directory but testdata, vendor, those whose name starts with
// "." or "_", and nested modules (a directory with its own go.mod). A root that cannot be read
// gives a tree with no files.
func WalkTrees(roots []string) []Tree {
	var trees []Tree
	for _, root := range roots {
		t := Tree{Root: root, Files: []FileState{}}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path == root {
					return nil
				}
				if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
				return nil
			}
			if treeFile(name) {
				t.Files = append(t.Files, statState(path))
			}
			return nil
		})
		trees = append(trees, t)
	}
	return trees
}

// KeySnapshot is KeyFromListing with the snapshot of the key's inputs; the snapshot is nil when
// a package directory's files no longer match the listing (a file came or went since go list).
// The snapshot's Trees are left to the caller (WalkTrees of its Roots), who knows when go build
// starts reading them.
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
	var embedDirs []string
	for _, p := range pkgs {
		m := p.Module
		if m != nil && m.Dir != "" {
			meta = append(meta, filepath.Join(m.Dir, "go.mod"), filepath.Join(m.Dir, "go.sum"), filepath.Join(m.Dir, "vendor", "modules.txt"))
		}
		fixed := p.Standard || m != nil && m.Version != "" && m.Replace == nil // not edited in place
		for _, l := range [][]string{p.EmbedFiles, p.SysoFiles} {
			for _, n := range l {
				path := filepath.Join(p.Dir, n)
				if fixed {
					s.Files = append(s.Files, statState(path))
				} else {
					s.Files = append(s.Files, FileState{Path: path, Sum: sumOf(path)})
				}
			}
		}
		if fixed {
			continue
		}
		if len(p.EmbedPatterns) > 0 {
			s.Embeds = append(s.Embeds, DirFiles{Dir: p.Dir, Names: embedMatches(p.Dir, p.EmbedPatterns), Patterns: p.EmbedPatterns})
		}
		for _, n := range p.EmbedFiles {
			for d := filepath.Dir(filepath.Join(p.Dir, n)); d != p.Dir && strings.HasPrefix(d, p.Dir); d = filepath.Dir(d) {
				embedDirs = append(embedDirs, d)
			}
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
				if !listed[n] {
					return key, nil, nil // came after the listing
				}
			}
		}
		s.Dirs = append(s.Dirs, DirFiles{Dir: p.Dir, Names: names})
	}
	slices.Sort(embedDirs)
	for _, d := range slices.Compact(embedDirs) {
		s.Embeds = append(s.Embeds, DirFiles{Dir: d, Names: allNames(d)})
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
			f := FileState{Path: p, Sum: sumOf(p)}
			s.Files = append(s.Files, f)
			if filepath.Base(p) == "go.work" && f.Sum != absent && s.NoBuild == "" {
				s.NoBuild = p + " applies (a workspace's modules are not followed)"
			}
		}
	}
	if w := os.Getenv("GOWORK"); w != "" && w != "off" {
		s.NoBuild = "GOWORK=" + w + " (a workspace's modules are not followed)"
	}
	if s.NoBuild == "" {
		s.Roots, s.NoBuild = localRoots(pkgs)
	}
	return key, s, nil
}

// localRoots returns the roots of the modules edited in place whose packages the composition root
// can import without the listing showing them: the library OS's module when it is not a version
// from the module cache, each directory that the main module's go.mod puts in place of a module,
// and the main module's vendor directory when it has one. why says why there are none to give (the snapshot cannot vouch for a build).
func localRoots(pkgs []*listed) (roots []string, why string) {
	var main *listed
	for _, p := range pkgs {
		if p.Module == nil {
			continue
		}
		if p.Module.Main && main == nil {
			main = p
		}
		if p.ImportPath == libos.BootPackage {
			switch m := p.Module; {
			case m.Replace != nil && m.Replace.Version == "":
				roots = append(roots, m.Replace.Dir)
			case m.Version == "":
				roots = append(roots, m.Dir)
			}
		}
	}
	if main == nil || main.Module.GoMod == "" {
		return nil, "no main module"
	}
	data, err := os.ReadFile(main.Module.GoMod)
	if err != nil {
		return nil, err.Error()
	}
	f, err := modfile.Parse(main.Module.GoMod, data, nil)
	if err != nil {
		return nil, err.Error()
	}
	for _, r := range f.Replace {
		if r.New.Version != "" {
			continue // a module version, from the module cache
		}
		dir := r.New.Path
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(main.Module.Dir, dir)
		}
		roots = append(roots, filepath.Clean(dir))
	}
	// A vendored module graph: the packages come from vendor/, which can be edited in place.
	if _, err := os.Stat(filepath.Join(main.Module.Dir, "vendor", "modules.txt")); err == nil {
		roots = append(roots, filepath.Join(main.Module.Dir, "vendor"))
	}
	slices.Sort(roots)
	return slices.Compact(roots), ""
}

// Current returns s's inputs as they are now, taken as s took them: a snapshot with the same key
// and roots, and a tree for each of s's trees.
func (s *Snapshot) Current() *Snapshot {
	c := &Snapshot{Key: s.Key, Tool: ToolID(), Env: envValues(), Roots: s.Roots, NoBuild: s.NoBuild, Go: FileState{Sum: absent}}
	if goExe, err := exec.LookPath("go"); err == nil {
		c.Go = statState(goExe)
	}
	for _, f := range s.Files {
		c.Files = append(c.Files, f.now())
	}
	for _, d := range s.Dirs {
		c.Dirs = append(c.Dirs, DirFiles{Dir: d.Dir, Names: sourceNames(d.Dir)})
	}
	for _, d := range s.Embeds {
		if d.Patterns != nil {
			c.Embeds = append(c.Embeds, DirFiles{Dir: d.Dir, Names: embedMatches(d.Dir, d.Patterns), Patterns: d.Patterns})
		} else {
			c.Embeds = append(c.Embeds, DirFiles{Dir: d.Dir, Names: allNames(d.Dir)})
		}
	}
	var roots []string
	for _, t := range s.Trees {
		roots = append(roots, t.Root)
	}
	c.Trees = WalkTrees(roots)
	return c
}

// Unchanged reports whether s's inputs are as they were: the same analyser, environment and go
// executable, every file in the same state, every package directory with the same source files,
// every directory of embedded files with the same entries, and every tree the same.
func (s *Snapshot) Unchanged() bool {
	if s == nil || s.Key == "" {
		return false
	}
	return s.SeenIn(s.Current())
}

// SeenIn reports whether every state that s holds is also in pre: the same analyser, environment
// and go executable, and each of s's files, directories and trees in pre with the same state.
// pre is usually s's inputs taken earlier (Current of an earlier snapshot), which then shows that
// none of them changed between the two.
func (s *Snapshot) SeenIn(pre *Snapshot) bool {
	if s == nil || pre == nil || s.Tool != pre.Tool || !slices.Equal(s.Env, pre.Env) || s.Go != pre.Go {
		return false
	}
	sameFile := func(a, b FileState) bool { return a == b }
	return allIn(s.Files, pre.Files, func(f FileState) string { return f.Path }, sameFile) &&
		sameDirs(s.Dirs, pre.Dirs) && sameDirs(s.Embeds, pre.Embeds) && sameTrees(s.Trees, pre.Trees)
}

// sameDirs reports whether each of ds is in pre with the same names.
func sameDirs(ds, pre []DirFiles) bool {
	return allIn(ds, pre, func(d DirFiles) string { return d.Dir }, func(a, b DirFiles) bool { return slices.Equal(a.Names, b.Names) })
}

// sameTrees reports whether each of ts is in pre with the same files.
func sameTrees(ts, pre []Tree) bool {
	return allIn(ts, pre, func(t Tree) string { return t.Root }, func(a, b Tree) bool { return slices.Equal(a.Files, b.Files) })
}

// allIn reports whether each of xs has an element of pre with the same key that is equal to it.
func allIn[T any](xs, pre []T, key func(T) string, equal func(a, b T) bool) bool {
	byKey := map[string]T{}
	for _, p := range pre {
		byKey[key(p)] = p
	}
	for _, x := range xs {
		p, ok := byKey[key(x)]
		if !ok || !equal(x, p) {
			return false
		}
	}
	return true
}

// CoversBuild reports whether s covers everything go build reads for the program, so that an
// image built from s's states can be taken again while s is Unchanged: nothing keeps it from it
// (NoBuild) and each root has its tree.
func (s *Snapshot) CoversBuild() bool {
	if s == nil || s.NoBuild != "" {
		return false
	}
	have := map[string]bool{}
	for _, t := range s.Trees {
		have[t.Root] = true
	}
	for _, r := range s.Roots {
		if !have[r] {
			return false
		}
	}
	return true
}
