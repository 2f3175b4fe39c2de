// Package cache keeps the results of unikgen's whole-program analysis on disk, so that a build of
// a program whose inputs have not changed does not analyse it again.
//
// An entry is found by a key (Key) that hashes everything the analysis reads: the list of the
// program's packages for the kernel's build configuration (go list -deps, GOOS=linux GOARCH=amd64
// CGO_ENABLED=0 and the build tags), each package's import path, directory, module and the
// contents of every file the analysis parses or scans (Go files, assembly and its headers, and,
// outside GOROOT, the files the configuration ignores, where the analysis looks for cgo), the Go
// release (GOROOT/VERSION), the environment the go command is given, and the identity of the
// analyser itself (ToolID: unikgen's module version, or for a development build a hash of the
// running executable). A change to any of them gives another key. The files of the standard
// library and of module versions in the module cache, which are not edited in place, are
// covered by their size and modification time rather than their contents (hashing them was most
// of the key's cost); every other file, the program's own, by its contents.
//
// The store (Store) is a directory, os.UserCacheDir()/unikgen unless UNIKGEN_CACHE names another
// (UNIKGEN_CACHE=off turns the cache off: Open). Its analysis/ directory holds the entries, files
// named by key, written atomically (a temporary file renamed into place) and checked when read: a
// file that is not a complete entry for its key is reported as a *CorruptError and never used.
// Its link/ directory holds, per program and flags, the linker's last output (LinkDir), which
// go build relinks only when it is out of date, and which the next build of an unchanged program
// takes without running go build when the last build's snapshot vouched for it (Snapshot). The store trims itself once a day (Open, Trim):
// entries and link directories unused for five days go, and link directories whose program
// directory is gone (a test's temporary module) go at once.
package cache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/internal/version"
)

// EnvVar names the cache directory; "off" turns the cache off.
const EnvVar = "UNIKGEN_CACHE"

// Off is the value of EnvVar that turns the cache off.
const Off = "off"

// Format is the version of the entries' format; it is part of every key.
const Format = "unikgen-analysis-cache-1"

// Store is a directory of cached entries.
type Store struct {
	Dir string
}

// DefaultDir returns the cache directory when EnvVar is not set: os.UserCacheDir()/unikgen.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "unikgen"), nil
}

// LinkDir returns the directory of the linker's output for a build of the program in directory
// dir that ids identify further (the main package's import path, the build flags and
// environment): build.Options.LinkDir. It makes the directory, or records that it was used
// (Trim keeps it while it is used and its program directory exists).
func (s *Store) LinkDir(dir string, ids ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q", append([]string{dir}, ids...))
	link := filepath.Join(s.Dir, "link", hex.EncodeToString(h.Sum(nil))[:32])
	useLinkDir(link, dir)
	return link
}

// Open returns the store that the environment selects: the directory EnvVar names, else
// DefaultDir; nil (and no error) when EnvVar is Off. It starts computing ToolID (a development
// build hashes its executable) while the caller goes on.
func Open() (*Store, error) {
	dir := os.Getenv(EnvVar)
	if dir != Off {
		go ToolID()
	}
	switch {
	case dir == Off:
		return nil, nil
	case dir == "":
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, fmt.Errorf("analysis cache: %v (set %s to a directory, or to %s)", err, EnvVar, Off)
		}
	case !filepath.IsAbs(dir):
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		dir = abs
	}
	s := &Store{Dir: dir}
	s.trimIfDue()
	return s, nil
}

// CorruptError is an entry that cannot be used: truncated, overwritten, or not an entry for its
// key. The entry is removed; the caller analyses afresh.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("analysis cache entry %s is corrupt (%s): removed it, analysing afresh", e.Path, e.Reason)
}

func (s *Store) path(key string) string {
	return filepath.Join(s.Dir, "analysis", key[:2], key)
}

// An entry is a header line, the JSON of the value, and a trailer line with the SHA-256 of the
// JSON: "FORMAT KEY\nJSON\nsha256 HEX\n".

// Get reads the entry of key into v. It returns false when there is none, and a *CorruptError
// (with false) when the file is not a complete entry for key.
func (s *Store) Get(key string, v any) (bool, error) {
	path := s.path(key)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	corrupt := func(reason string) (bool, error) {
		os.Remove(path)
		return false, &CorruptError{Path: path, Reason: reason}
	}
	header, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(header) != Format+" "+key {
		return corrupt("wrong header")
	}
	i := bytes.LastIndex(bytes.TrimSuffix(rest, []byte("\n")), []byte("\n"))
	if i < 0 || !bytes.HasSuffix(rest, []byte("\n")) {
		return corrupt("truncated")
	}
	body, trailer := rest[:i], strings.TrimSpace(string(rest[i+1:]))
	sum := sha256.Sum256(body)
	if trailer != "sha256 "+hex.EncodeToString(sum[:]) {
		return corrupt("checksum mismatch")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return corrupt(err.Error())
	}
	touch(path, time.Now())
	return true, nil
}

// Put writes v as the entry of key, atomically: a reader sees the old entry, none, or the whole
// new one.
func (s *Store) Put(key string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	path := s.path(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), key[:8]+".tmp-*")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%s %s\n", Format, key)
	w.Write(body)
	fmt.Fprintf(w, "\nsha256 %s\n", hex.EncodeToString(sum[:]))
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Inputs say what program the analysis is of, as analysis.Config does.
type Inputs struct {
	Dir      string   // where the go command runs
	Patterns []string // the main package(s)
	Tags     []string
	Env      []string // extra KEY=VALUE entries for the go command
	// Salt is more text that the key covers (the format of what the caller stores, say).
	Salt string
}

// NoKeyError is a program whose inputs cannot be listed cleanly (go list reports an error):
// there is no key, and the analysis will report the error in its own words.
type NoKeyError struct{ Err string }

func (e *NoKeyError) Error() string { return "no analysis cache key: " + e.Err }

// listed is the part of go list -json that Key reads.
type listed struct {
	ImportPath, Dir                         string
	Standard                                bool
	GoFiles, SFiles, HFiles, IgnoredGoFiles []string
	// EmbedPatterns, EmbedFiles and SysoFiles are not read by the analysis, so the key leaves them out; go
	// build reads them, so a snapshot covers them (Snapshot.Vouches).
	EmbedPatterns, EmbedFiles, SysoFiles []string
	Module                               *struct {
		Path, Version, Dir, GoVersion, GoMod string
		Main                                 bool
		Replace                              *struct{ Path, Version, Dir string }
	}
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

// ListFields are the fields of go list -json that the key covers, for go list -json=.
const ListFields = "ImportPath,Dir,Standard,GoFiles,SFiles,HFiles,IgnoredGoFiles,EmbedPatterns,EmbedFiles,SysoFiles,Module,Error,DepsErrors"

// envKeys are the variables of the environment that change what the go command builds or how
// the program's code is read, beyond the package list.
var envKeys = []string{"GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOFIPS140", "GOROOT", "GOPATH", "GOWORK", "GO111MODULE", "GOTOOLCHAIN"}

// Key returns the key of the analysis of in's program: see the package documentation for what it
// covers. trace, if set, receives the go command it runs. A program that go list reports errors
// for has no key (*NoKeyError).
func Key(ctx context.Context, in Inputs, trace func([]string)) (string, error) {
	out, err := List(ctx, in, nil, trace)
	if err != nil {
		return "", err
	}
	return KeyFromListing(out, in, nil)
}

// List runs go list -e -deps -json=ListFields for in's patterns and the packages more, in the
// kernel's configuration, and returns its output (for KeyFromListing). A failure of go list is
// a *NoKeyError.
func List(ctx context.Context, in Inputs, more []string, trace func([]string)) ([]byte, error) {
	args := []string{"list", "-e", "-deps", "-json=" + ListFields}
	if len(in.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(in.Tags, ","))
	}
	args = append(args, "--")
	patterns := in.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	args = append(append(args, patterns...), more...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = in.Dir
	env := append(append(os.Environ(), in.Env...), libos.BuildEnv()...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if trace != nil {
		trace(append(append(libos.BuildEnv(), "go"), args...))
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, &NoKeyError{Err: strings.TrimSpace(stderr.String() + " " + err.Error())}
	}
	return out, nil
}

// KeyFromListing is Key from the output of go list -e -deps -json with at least ListFields, run
// for in's patterns in the kernel's configuration, possibly with more packages (the library OS's,
// which the key then covers too). Errors of the packages that ignore names are not the
// program's: they do not keep it from having a key.
func KeyFromListing(out []byte, in Inputs, ignore func(importPath string) bool) (string, error) {
	key, _, _, err := keyFiles(out, in, ignore)
	return key, err
}

// keyedFile is a file the key covers: by its contents (sum), or for statOnly files by their size
// and modification time (stat).
type keyedFile struct {
	path     string
	statOnly bool // GOROOT and the module cache: size and time
	sum      [sha256.Size]byte
	stat     os.FileInfo
	err      error
}

// keyFiles is KeyFromListing, also returning the files the key covers and the packages listed.
func keyFiles(out []byte, in Inputs, ignore func(importPath string) bool) (string, []*keyedFile, []*listed, error) {
	patterns := in.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	var pkgs []*listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listed)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return "", nil, nil, fmt.Errorf("reading go list output: %w", err)
		}
		if ignore != nil && ignore(p.ImportPath) && (p.Error != nil || len(p.DepsErrors) > 0) {
			line := fmt.Sprintf("%s has errors", p.ImportPath) // still covered, by its state
			p = &listed{ImportPath: line}
		}
		if p.Error != nil {
			return "", nil, nil, &NoKeyError{Err: p.ImportPath + ": " + p.Error.Err}
		}
		if len(p.DepsErrors) > 0 {
			return "", nil, nil, &NoKeyError{Err: p.ImportPath + ": " + p.DepsErrors[0].Err}
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].ImportPath < pkgs[j].ImportPath })

	h := sha256.New()
	line := func(format string, args ...any) { fmt.Fprintf(h, format+"\n", args...) }
	line("%s", Format)
	line("tool %s", ToolID())
	line("salt %q", in.Salt)
	line("dir %q patterns %q tags %q env %q kernel %q", in.Dir, patterns, in.Tags, in.Env, libos.BuildEnv())
	for _, k := range envKeys {
		line("env %s=%q", k, os.Getenv(k))
	}
	// The files, hashed in parallel (the standard library's are most of them).
	var files []*keyedFile
	var goroot string
	for _, p := range pkgs {
		line("package %q dir %q standard %v", p.ImportPath, p.Dir, p.Standard)
		if p.ImportPath == "runtime" {
			goroot = filepath.Dir(filepath.Dir(p.Dir))
		}
		if m := p.Module; m != nil {
			line(" module %q %q %q go %q", m.Path, m.Version, m.Dir, m.GoVersion)
			if r := m.Replace; r != nil {
				line(" replace %q %q %q", r.Path, r.Version, r.Dir)
			}
		}
		lists := [][]string{p.GoFiles, p.SFiles, p.HFiles}
		if !p.Standard {
			lists = append(lists, p.IgnoredGoFiles) // the analysis looks for cgo there
		}
		// A module version from the module cache (not replaced by a directory) does not change.
		statOnly := p.Standard || p.Module != nil && p.Module.Version != "" && p.Module.Replace == nil
		for _, l := range lists {
			for _, name := range l {
				f := &keyedFile{path: filepath.Join(p.Dir, name), statOnly: statOnly}
				files = append(files, f)
			}
		}
	}
	if goroot != "" {
		files = append(files, &keyedFile{path: filepath.Join(goroot, "VERSION")})
	}
	var wg sync.WaitGroup
	const workers = 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(files); i += workers {
				f := files[i]
				if f.statOnly {
					f.stat, f.err = os.Stat(f.path)
					continue
				}
				b, err := os.ReadFile(f.path)
				if errors.Is(err, os.ErrNotExist) && filepath.Base(f.path) == "VERSION" {
					b, err = nil, nil // a GOROOT built from source has none
				}
				f.sum, f.err = sha256.Sum256(b), err
			}
		}(w)
	}
	wg.Wait()
	for _, f := range files {
		if f.err != nil {
			return "", nil, nil, &NoKeyError{Err: f.err.Error()}
		}
		if f.statOnly {
			line("file %q size %d time %d", f.path, f.stat.Size(), f.stat.ModTime().UnixNano())
		} else {
			line("file %q %x", f.path, f.sum)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), files, pkgs, nil
}

var toolID = sync.OnceValue(func() string {
	v := version.String()
	bi, ok := debug.ReadBuildInfo()
	deps := ""
	if ok {
		var b strings.Builder
		fmt.Fprintf(&b, " go %s", bi.GoVersion)
		for _, d := range bi.Deps {
			fmt.Fprintf(&b, " %s@%s", d.Path, d.Version)
			if d.Replace != nil {
				fmt.Fprintf(&b, "=>%s@%s", d.Replace.Path, d.Replace.Version)
			}
		}
		deps = b.String()
	}
	if v != version.Devel {
		return v + deps
	}
	// A development build: the analyser may have changed without a version to say so.
	exe, err := os.Executable()
	if err == nil {
		var sum string
		if sum, err = exeHash(exe); err == nil {
			return "devel exe " + sum
		}
	}
	// Without the executable there is nothing to tell builds apart: a key that matches no
	// other run turns the cache into a no-op.
	return fmt.Sprintf("devel unknown executable (%v) pid %d", err, os.Getpid())
})

// ToolID identifies the analyser that is running: unikgen's module version and the versions of
// its dependencies, or for a development build (version.Devel) the SHA-256 of the executable.
func ToolID() string { return toolID() }

// exeHash returns the SHA-256 of the file at path.
func exeHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
