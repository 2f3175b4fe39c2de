// Package gen is unikgen's generator: from a main package, its config.Kernel literal and the
// whole-program analysis it makes a kernel plan (package plan) and the Go source that realises it
// (package emit).
//
// Generate writes nothing, prints nothing and never exits, in the style of google/wire: it returns
// the plan, the files that belong in the program's directory (Files, written by Result.Commit for
// `unikgen generate`) and the files that `unikgen build` injects with go build -overlay (Overlay).
//
// What goes where. The composition root must be a file of package runtime/boot, which lives in the
// unikgen module (often in the read-only module cache): a program cannot add files to it. So the
// composition root exists only in the overlay, generated afresh by every build. What `unikgen
// generate` writes into the program's directory is a record of the plan, unikgen_kernel.json: the
// target, the components in and out with their witness paths, and the system-call table, without
// source positions, so that it changes only when the kernel does. It is for review and CI
// (`unikgen diff` exits 1 when it is stale); the build never reads it, so an image is the same
// whether or not generate ran.
package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/internal/version"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/gen/emit"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/services/fs/rootimg"
)

// CompositionRootFile is the name of the composition root in runtime/boot.
const CompositionRootFile = "config_gen.go"

// RecordName is the name of the plan record that Commit writes into the program's directory.
const RecordName = "unikgen_kernel.json"

// Options say what to generate.
type Options struct {
	// Dir is the directory in which the go command runs ("" = current).
	Dir string
	// Package is the main package pattern (default ".").
	Package string
	// Tags are the kernel's build tags; Env extra KEY=VALUE entries for the go command.
	Tags []string
	Env  []string
	// Generic makes a plan with every component and every system call, without analysis.
	Generic bool
	// Analysis, when set, is used instead of analysing the package (for example the result of one
	// analysis.AnalyzeAll over several programs). It must be for the same package and tags.
	Analysis *analysis.Result
	// LibOS maps libos.GeneratorPackages to their directories when the caller has listed
	// them already (build.Resolve does); nil: Generate lists them (ListLibOS).
	LibOS map[string]string
	// Overrides are the CLI's flags: they win over the program's config.Kernel literal.
	Overrides Overrides
	// HostCABundle and HostZoneinfo bake the build machine's TLS root certificates and time
	// zone database into the root file system.
	HostCABundle, HostZoneinfo bool
	// Cache, if set, keeps the analysis (and the configuration read with it) keyed by the
	// program's inputs (package analysis/cache): a program whose inputs have not changed is not
	// analysed again. A Result made from the cache answers Analysis.Why only for capabilities;
	// callers that query paths (unikgen explain -why) leave Cache nil.
	Cache *cache.Store
	// Listing is the output of go list -e -deps -json (with at least cache.ListFields) for the
	// main package and libos.GeneratorPackages, when the caller has it (build.Resolve with
	// ListDeps); nil: Generate lists them itself for the cache key.
	Listing []byte
	// CacheKey, when set, is the cache key of the program's analysis, known to the caller
	// without a listing (pipeline: the last build's key, whose inputs a cache.Snapshot shows
	// unchanged); Listing is not needed then.
	CacheKey string
	// Trace, if set, receives each go command that Generate runs itself (the cache key's go list).
	Trace func(args []string)
	// Progress, if set, receives what Generate is doing, one line at a time ("analysing the
	// program...", how long it took, whether the cache had it).
	Progress func(msg string)
}

func (o *Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Overrides replace fields of config.Kernel; nil means "not set". Each field names the field of
// config.Kernel it replaces, with the same type, and the CLI flag that sets it (the flag tag, for
// error messages); TestOverrides checks both.
type Overrides struct {
	Target        *config.Target `flag:"-target"`
	Name          *string        `flag:"-name"`
	MemoryMiB     *int           `flag:"-m"`
	Args          *[]string      `flag:"-args"`
	Env           *[]string      `flag:"-env"`
	DebugSyscalls *bool          `flag:"-debug-syscalls"`
	// RootFS is an absolute directory (the CLI resolves -rootfs against its working directory).
	RootFS *string `flag:"-rootfs"`
	// Volumes are added to the configuration's volumes (unikgen run -volume), not replace them.
	Volumes []config.Volume `flag:"-volume"`
}

// apply sets the fields of k that ov sets and returns, for each, the flag that set it. Pointer
// fields replace the field of k; slice fields (Volumes) add what k does not have yet.
func (ov Overrides) apply(k *config.Kernel) map[string]string {
	from := map[string]string{}
	o, kv := reflect.ValueOf(ov), reflect.ValueOf(k).Elem()
	for i := 0; i < o.NumField(); i++ {
		f, field := o.Field(i), o.Type().Field(i)
		switch {
		case f.Kind() == reflect.Pointer && !f.IsNil():
			kv.FieldByName(field.Name).Set(f.Elem())
			from[field.Name] = field.Tag.Get("flag")
		case f.Kind() == reflect.Slice:
			dst := kv.FieldByName(field.Name)
			dst.Set(reflect.AppendSlice(reflect.MakeSlice(dst.Type(), 0, dst.Len()+f.Len()), dst)) // k's own copy
		elems:
			for j := 0; j < f.Len(); j++ {
				e := f.Index(j)
				for n := 0; n < dst.Len(); n++ {
					if dst.Index(n).Equal(e) {
						continue elems
					}
				}
				from[fmt.Sprintf("%s[%d]", field.Name, dst.Len())] = field.Tag.Get("flag")
				dst.Set(reflect.Append(dst, e))
			}
		}
	}
	return from
}

// A File is a generated file.
type File struct {
	Path    string // absolute
	Content []byte
}

// Result is what Generate makes.
type Result struct {
	Plan *plan.Plan
	// Files belong in the program's directory (written by Commit).
	Files []File
	// BootOverlay maps file names to the contents that `unikgen build` places in runtime/boot's
	// directory with -overlay: the composition root, "config_gen.go".
	BootOverlay map[string][]byte
	// BootDir is the directory of runtime/boot that the program builds against.
	BootDir string
	// Analysis is the analysis result (nil for a generic plan); its Why answers -why queries.
	Analysis *analysis.Result
	// Dir is the main package's directory.
	Dir string
	// RootFSSize is the size in bytes of the root file system image baked in (0 for none).
	RootFSSize int
	// Advice are what the build should tell the user about files the program will look for and
	// not find (a CA bundle, zoneinfo), one message each.
	Advice []string
	// MemoryFrom says where Plan.MemoryMiB comes from, for messages about it: "-m" (the
	// override), the position of the config.Kernel.MemoryMiB value, or "" (the default).
	MemoryFrom string
	// Cache says how Options.Cache served this result.
	Cache CacheUse
}

// CacheUse says how the analysis cache served a Result.
type CacheUse struct {
	Hit bool   // the analysis came from the cache
	Key string // the entry's key ("" when there is none: no cache, or no key)
	// Snapshot is what Key covered, as the key saw it, when Generate computed Key from a
	// listing (Options.Listing or its own): given to a later build, Snapshot.Unchanged tells
	// that Key still holds without a listing (Options.CacheKey).
	Snapshot *cache.Snapshot
	// Warning is a problem with the cache that the user should hear of (a corrupt entry, an
	// entry that could not be written); the result is right regardless.
	Warning string
}

// Commit writes r.Files.
func (r *Result) Commit() error {
	for _, f := range r.Files {
		if err := os.WriteFile(f.Path, f.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Unsupported returns an *UnsupportedError when the program reaches APIs that a unikernel cannot
// provide, and nil otherwise.
func (r *Result) Unsupported() error {
	if len(r.Plan.Unsupported) == 0 {
		return nil
	}
	return &UnsupportedError{Diagnostics: r.Plan.Unsupported}
}

// UnsupportedError lists reachable uses of unsupported APIs, one per diagnostic with its path.
type UnsupportedError struct {
	Diagnostics []analysis.Diagnostic
}

func (e *UnsupportedError) Error() string {
	var b strings.Builder
	for i, d := range e.Diagnostics {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// LoadError is a program that does not load (syntax or type errors outside config.Kernel, missing
// packages), one message per line.
type LoadError struct{ Errors []string }

func (e *LoadError) Error() string { return strings.Join(e.Errors, "\n") }

// Generate makes the plan and the generated files for the main package of o. It writes nothing.
// Configuration errors are ConfigErrors; a program that does not load gives a *LoadError.
func Generate(ctx context.Context, o Options) (*Result, error) {
	pattern := o.Package
	if pattern == "" {
		pattern = "."
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	tree, bootDir, err := libOS(ctx, o, pattern)
	if err != nil {
		return nil, err
	}
	var (
		main    mainPackage
		uc      *userConfig
		s       plan.Settings
		ares    *analysis.Result
		reaches func(fn string) bool
		use     CacheUse
	)
	// configure reads the config.Kernel literal of the loaded main package and applies the
	// overrides.
	configure := func(initial []*packages.Package) error {
		m, err := pickMain(initial, pattern)
		if err != nil {
			return err
		}
		if uc, err = readConfig(m); err != nil {
			return err
		}
		main = mainPackage{Path: m.PkgPath, Dir: dirOf(m)}
		s, err = settings(uc, o.Overrides, tree)
		return err
	}
	var cached *cachedAnalysis
	if !o.Generic && o.Analysis == nil && o.Cache != nil {
		cached, use = cacheGet(ctx, o, pattern)
		if cached != nil {
			main, uc, ares = cached.Main, cached.Config.userConfig(), cached.Analysis
			reaches = func(fn string) bool { return cached.Reaches[fn] }
			if s, err = settings(uc, o.Overrides, tree); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case cached != nil:
		o.progress("analysis: unchanged program, from the cache")
	case o.Generic || o.Analysis != nil:
		// No analysis to run: load the main package with types for its config.Kernel literal.
		pkgs, err := loadMain(ctx, o, pattern)
		if err != nil {
			return nil, err
		}
		if err := configure(pkgs); err != nil {
			return nil, err
		}
		ares = o.Analysis
	default:
		// The program is loaded once: the analysis's load also gives the config.Kernel literal,
		// read and checked before the slow SSA construction starts.
		o.progress("analysing the program (whole-program: load, SSA, reachability)...")
		t0 := time.Now()
		ares, err = analysis.Analyze(ctx, analysis.Config{Dir: o.Dir, Patterns: []string{pattern}, Tags: o.Tags, Env: o.Env,
			Inspect: configure, Log: func(format string, args ...any) { o.progress("analysis: "+format, args...) }})
		var le *analysis.ErrorList
		if errors.As(err, &le) {
			return nil, &LoadError{Errors: le.Errors}
		}
		if err != nil {
			return nil, err
		}
		o.progress("analysis: %d packages, %d reachable functions in %.1f s", ares.Stats.Packages, ares.Stats.Reachable, time.Since(t0).Seconds())
		if use.Key != "" {
			if err := o.Cache.Put(use.Key, newCachedAnalysis(main, uc, ares)); err != nil {
				use.Warning = fmt.Sprintf("analysis cache: cannot write the entry: %v", err)
			}
		}
	}
	if reaches == nil {
		reaches = func(fn string) bool {
			if ares == nil {
				return false
			}
			_, err := ares.Why(fn)
			return err == nil
		}
	}
	if o.HostCABundle {
		s.HostFiles = append(s.HostFiles, plan.HostCABundle)
	}
	if o.HostZoneinfo {
		s.HostFiles = append(s.HostFiles, plan.HostZoneinfo)
	}
	r := &Result{Dir: main.Dir, MemoryFrom: uc.field["MemoryMiB"], Analysis: ares, Cache: use}
	if o.Overrides.MemoryMiB != nil {
		r.MemoryFrom = "-m"
	}
	p, err := plan.Make(main.Path, s, tree, r.Analysis, o.Generic)
	if err != nil {
		return nil, err
	}
	r.Plan = p
	root, err := emit.CompositionRoot(p, tree)
	if err != nil {
		return nil, err
	}
	r.BootDir = bootDir
	r.BootOverlay = map[string][]byte{CompositionRootFile: root}
	var entries []rootimg.Entry
	if p.RootFS != "" {
		dir := p.RootFS
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(r.Dir, dir)
		}
		entries, err = rootimg.Walk(dir, "", nil)
		if err != nil {
			pos := uc.field["RootFS"]
			if o.Overrides.RootFS != nil || pos == "" {
				pos = "-rootfs"
			}
			return nil, ConfigErrors{{Pos: pos, Field: "RootFS", Msg: "root file system: " + err.Error()}}
		}
	}
	if entries, err = addHostFiles(entries, p.HostFiles); err != nil {
		return nil, err
	}
	if p.RootImage() && p.Has("files") {
		img, err := rootimg.Encode(entries)
		if err != nil {
			return nil, err
		}
		r.BootOverlay[emit.RootImageFile] = img
		r.RootFSSize = len(img)
	}
	r.Advice = advice(r.Analysis, reaches, entries)
	rec, err := Record(p)
	if err != nil {
		return nil, err
	}
	r.Files = []File{{Path: filepath.Join(r.Dir, RecordName), Content: rec}}
	return r, nil
}

// settings applies the overrides to the program's configuration and checks the result.
func settings(uc *userConfig, ov Overrides, tree *plan.Tree) (plan.Settings, error) {
	s := uc.Settings
	from := ov.apply(&s.Kernel) // field -> flag that set it
	err := plan.Check(s, tree)
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return s, err
	}
	field, _, _ := strings.Cut(pe.Field, "[")
	if flag, ok := from[field]; ok {
		return s, ConfigErrors{{Pos: flag, Msg: pe.Msg}}
	}
	if flag, ok := from[pe.Field]; ok {
		return s, ConfigErrors{{Pos: flag, Msg: pe.Msg}}
	}
	pos := uc.field[pe.Field+".Path"]
	if pos == "" {
		pos = uc.field[field]
	}
	if pos == "" {
		pos = uc.pos
	}
	if pos == "" {
		pos = "config"
	}
	return s, ConfigErrors{{Pos: pos, Field: pe.Field, Msg: pe.Msg}}
}

func dirOf(p *packages.Package) string {
	if len(p.GoFiles) > 0 {
		return filepath.Dir(p.GoFiles[0])
	}
	return ""
}

// Record returns the plan record written into the program's directory: the plan as indented JSON
// without source positions, with the version of unikgen that wrote it (RecordVersion reads it).
// It changes when the kernel does, not with unrelated edits or the Go release: witness paths stop
// at the standard library (analysis.CutAtStandard: the program's own steps and the standard API
// each calls; `unikgen explain -why COMPONENT` prints the whole path), and the system calls that
// the Go runtime makes whatever the program does are recorded as "fixed" (plan.RuntimeFixed)
// whether or not the analysis finds them in this release's runtime.
func Record(p *plan.Plan) ([]byte, error) {
	q := *p
	q.Components = append([]plan.Component(nil), p.Components...)
	for i := range q.Components {
		q.Components[i].Witness = analysis.CutAtStandard(q.Components[i].Witness, p.Package)
	}
	q.Syscalls.Unknown = nil
	q.Reflection = nil
	q.Unsupported = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Generated string `json:"generated"`
		Version   string `json:"unikgen_version"`
		*plan.Plan
	}{emit.Generated + " Regenerate with: unikgen generate", version.String(), &q}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RecordVersion returns the unikgen version recorded in a plan record, "" for a record without
// one (written before records had it) or that is not a record.
func RecordVersion(record []byte) string {
	var r struct {
		Version string `json:"unikgen_version"`
	}
	if json.Unmarshal(record, &r) != nil {
		return ""
	}
	return r.Version
}

// buildFlags returns the go command's environment and flags for o.
func buildFlags(o Options) (env, flags []string) {
	env = append(append(os.Environ(), o.Env...), libos.BuildEnv()...)
	if len(o.Tags) > 0 {
		flags = append(flags, "-tags="+strings.Join(o.Tags, ","))
	}
	return env, flags
}

// loadMain loads the main package with types (used when there is no analysis to load it).
func loadMain(ctx context.Context, o Options, pattern string) ([]*packages.Package, error) {
	env, flags := buildFlags(o)
	cfg := &packages.Config{
		Context:    ctx,
		Dir:        o.Dir,
		Env:        env,
		BuildFlags: flags,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
			packages.NeedTypesInfo | packages.NeedModule,
	}
	return packages.Load(cfg, pattern)
}

// pickMain returns the one main package of pkgs, or a *LoadError.
func pickMain(pkgs []*packages.Package, pattern string) (*packages.Package, error) {
	var mains []*packages.Package
	for _, p := range pkgs {
		if p.Name == "main" || len(pkgs) == 1 {
			mains = append(mains, p)
		}
	}
	if len(mains) != 1 {
		return nil, &LoadError{Errors: []string{fmt.Sprintf("%s: want one main package, found %d", pattern, len(mains))}}
	}
	m := mains[0]
	if m.Name != "main" {
		var errs []string
		for _, e := range m.Errors {
			errs = append(errs, e.Error())
		}
		if len(errs) == 0 {
			errs = []string{fmt.Sprintf("%s: package %s is not a main package", pattern, m.PkgPath)}
		}
		return nil, &LoadError{Errors: errs}
	}
	return m, nil
}

// libOS finds the library OS the program builds against (o.LibOS, or a go list of its packages):
// its system-call tables, whether it has a Xen platform, and the directory of runtime/boot.
func libOS(ctx context.Context, o Options, pattern string) (*plan.Tree, string, error) {
	dirs := o.LibOS
	if dirs == nil {
		var err error
		if dirs, err = ListLibOS(ctx, o); err != nil {
			return nil, "", err
		}
	}
	for _, need := range []string{libos.BootPackage, libos.SysPackage, libos.SysnoPackage} {
		if dirs[need] == "" {
			return nil, "", &LoadError{Errors: []string{fmt.Sprintf("%s: cannot find the library OS package %s: the program's module must require %s", pattern, need, libos.Module)}}
		}
	}
	tree, err := emit.ReadTree(dirs[libos.SysnoPackage], dirs[libos.SysPackage])
	if err != nil {
		return nil, "", err
	}
	tree.Xen = dirs[libos.PlatformXen] != ""
	return tree, dirs[libos.BootPackage], nil
}

// ListLibOS returns the directories of libos.GeneratorPackages as the program's module graph resolves them
// (a package that is missing has none).
func ListLibOS(ctx context.Context, o Options) (map[string]string, error) {
	env, flags := buildFlags(o)
	cfg := &packages.Config{Context: ctx, Dir: o.Dir, Env: env, BuildFlags: flags, Mode: packages.NeedName | packages.NeedFiles}
	los, err := packages.Load(cfg, libos.GeneratorPackages...)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for _, p := range los {
		if len(p.Errors) == 0 && len(p.GoFiles) > 0 {
			dirs[p.PkgPath] = filepath.Dir(p.GoFiles[0])
		}
	}
	return dirs, nil
}
