package gen

import (
	"fmt"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"os"
	pathpkg "path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/unikgen/unikgen/gen/plan"
)

// The fuzz targets of this file give readConfig a main package as go/packages would: parsed,
// type-checked (config from this checkout, fmt, os, strings and errors from source, other imports
// as empty packages), with its errors.

const fuzzFile = "/fuzz/main.go"

var fuzzImports struct {
	once   sync.Once
	std    types.Importer
	config *types.Package
	err    error
}

func fuzzImporter() (types.ImporterFrom, error) {
	fuzzImports.once.Do(func() {
		fset := token.NewFileSet()
		fuzzImports.std = importer.ForCompiler(fset, "source", nil)
		src := filepath.Join("..", "config", "config.go")
		f, err := parser.ParseFile(fset, src, nil, parser.ParseComments)
		if err != nil {
			fuzzImports.err = err
			return
		}
		fuzzImports.config, fuzzImports.err = (&types.Config{Importer: fuzzImports.std}).Check(libos.ConfigPackage, fset, []*ast.File{f}, nil)
	})
	return importerFunc(func(path string) (*types.Package, error) {
		switch path {
		case libos.ConfigPackage:
			return fuzzImports.config, nil
		case "fmt", "os", "strings", "errors":
			return fuzzImports.std.Import(path)
		}
		// Others would make each run slow to type-check: an empty package, whose uses are type
		// errors (the package's own, as readConfig reports them).
		p := types.NewPackage(path, pathpkg.Base(path))
		p.MarkComplete()
		return p, nil
	}), fuzzImports.err
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
func (f importerFunc) ImportFrom(path, _ string, _ types.ImportMode) (*types.Package, error) {
	return f(path)
}

// fuzzPackage parses and type-checks src as the main package example.com/fuzz.
func fuzzPackage(t *testing.T, src string) *packages.Package {
	imp, err := fuzzImporter()
	if err != nil {
		t.Fatalf("type-checking the config package: %v", err)
	}
	fset := token.NewFileSet()
	pkg := &packages.Package{ID: "example.com/fuzz", PkgPath: "example.com/fuzz", Name: "main", Fset: fset}
	f, err := parser.ParseFile(fset, fuzzFile, src, parser.ParseComments|parser.AllErrors)
	if el, ok := err.(scanner.ErrorList); ok {
		for _, e := range el {
			pkg.Errors = append(pkg.Errors, packages.Error{Pos: e.Pos.String(), Msg: e.Msg, Kind: packages.ParseError})
		}
	}
	if f == nil {
		return pkg
	}
	pkg.Syntax = []*ast.File{f}
	pkg.TypesInfo = &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{}, Scopes: map[ast.Node]*types.Scope{},
	}
	conf := types.Config{Importer: imp, Error: func(err error) {
		if te, ok := err.(types.Error); ok {
			pkg.Errors = append(pkg.Errors, packages.Error{Pos: fset.Position(te.Pos).String(), Msg: te.Msg, Kind: packages.TypeError})
		}
	}}
	pkg.Types, _ = conf.Check(pkg.PkgPath, fset, pkg.Syntax, pkg.TypesInfo)
	return pkg
}

// checkReadConfig runs readConfig on src and checks the form of what it returns.
func checkReadConfig(t *testing.T, src string) (*userConfig, error) {
	uc, err := readConfig(fuzzPackage(t, src))
	switch e := err.(type) {
	case nil:
		if uc == nil {
			t.Fatal("readConfig returned neither a configuration nor an error")
		}
		if uc.Target != "" && !uc.Target.Known() {
			t.Fatalf("accepted target %q", uc.Target)
		}
		if uc.MemoryMiB < 0 {
			t.Fatalf("accepted MemoryMiB %d", uc.MemoryMiB)
		}
		for _, env := range uc.Env {
			if err := cmdline.CheckEnv(env); err != nil {
				t.Fatalf("accepted Env entry %q: %v", env, err)
			}
		}
		if err := plan.CheckVolumes(plan.VolumePaths(uc.Volumes)); err != nil {
			t.Fatalf("accepted volumes %q: %v", uc.Volumes, err)
		}
	case ConfigErrors:
		if len(e) == 0 {
			t.Fatal("empty ConfigErrors")
		}
		for _, ce := range e {
			if !strings.HasPrefix(ce.Pos, fuzzFile+":") || ce.Msg == "" {
				t.Fatalf("configuration error without a position in the file or a message: %#v", ce)
			}
		}
	case *LoadError:
		if len(e.Errors) == 0 {
			t.Fatal("empty LoadError")
		}
	default:
		t.Fatalf("readConfig error of type %T: %v", err, err)
	}
	return uc, err
}

// FuzzReadConfig reads the config.Kernel literal of any main package: readConfig must return a
// valid configuration, positioned configuration errors, or the package's own errors.
func FuzzReadConfig(f *testing.F) {
	cases, _ := filepath.Glob(filepath.Join("testdata", "*", "main.go"))
	for _, c := range cases {
		if src, err := os.ReadFile(c); err == nil && strings.Contains(string(src), libos.ConfigPackage) {
			f.Add(string(src))
		}
	}
	f.Add("package main\n\nimport \"github.com/unikgen/unikgen/config\"\n\nvar _ = &config.Kernel{Target: config.Xen, MemoryMiB: 1 << 10, Env: []string{\"A=\" + \"b\"}}\n\nfunc main() {}\n")
	f.Fuzz(func(t *testing.T, src string) {
		checkReadConfig(t, src)
	})
}

// fuzzStrings turns a fuzzer string into a []string literal (elements split at '\x1f'), or nil.
func fuzzStrings(s string) ([]string, string) {
	if s == "" {
		return nil, "nil"
	}
	list := strings.Split(s, "\x1f")
	q := make([]string, len(list))
	for i, e := range list {
		q[i] = strconv.Quote(e)
	}
	return list, "[]string{" + strings.Join(q, ", ") + "}"
}

// FuzzReadConfigRoundTrip writes a config.Kernel literal from values and reads it back: the
// values must come back unchanged when they are valid, and be refused, naming the field,
// otherwise. A zero value means the default, written or not.
func FuzzReadConfigRoundTrip(f *testing.F) {
	f.Add("xen", "my-app", int64(96), "-v\x1ftwo words", "GREETING=hi \"there\"", true)
	f.Add("", "", int64(0), "", "", false)
	f.Add("vmware", "x", int64(-1), "", "NOVALUE", false)
	f.Fuzz(func(t *testing.T, target, name string, mem int64, args, env string, debug bool) {
		argList, argLit := fuzzStrings(args)
		envList, envLit := fuzzStrings(env)
		src := fmt.Sprintf("package main\n\nimport \"github.com/unikgen/unikgen/config\"\n\n"+
			"var _ = config.Kernel{Target: %s, Name: %s, MemoryMiB: %d, Args: %s, Env: %s, DebugSyscalls: %v}\n\nfunc main() {}\n",
			strconv.Quote(target), strconv.Quote(name), mem, argLit, envLit, debug)
		uc, err := checkReadConfig(t, src)
		bad := map[string]bool{}
		if target != "" && !config.Target(target).Known() {
			bad["Target"] = true
		}
		if mem < 0 || int64(int(mem)) != mem {
			bad["MemoryMiB"] = true
		}
		for i, e := range envList {
			if cmdline.CheckEnv(e) != nil {
				bad[fmt.Sprintf("Env[%d]", i)] = true
			}
		}
		if len(bad) == 0 {
			if err != nil {
				t.Fatalf("valid literal refused:\n%s\n%v", src, err)
			}
			got := userConfig{Settings: uc.Settings}
			want := plan.Settings{Kernel: config.Kernel{Target: config.Target(target), Name: name, MemoryMiB: int(mem), Args: argList, Env: envList, DebugSyscalls: debug}}
			if !reflect.DeepEqual(got.Settings, want) {
				t.Fatalf("read %+v, want %+v, from:\n%s", got.Settings, want, src)
			}
			return
		}
		ces, ok := err.(ConfigErrors)
		if !ok {
			t.Fatalf("invalid literal (fields %v): err %v, want ConfigErrors; source:\n%s", bad, err, src)
		}
		for _, ce := range ces {
			if !bad[ce.Field] {
				t.Fatalf("error for field %q (%v), want errors for %v; source:\n%s", ce.Field, ce, bad, src)
			}
			delete(bad, ce.Field)
		}
		if len(bad) > 0 {
			t.Fatalf("no error for %v; errors:\n%v\nsource:\n%s", bad, ces, src)
		}
	})
}
