package emit

// This file implements reading the library OS's own tables from its source: the system-call numbers
// of runtime/sysno and the handler mapping of runtime/sys.Generic, so that neither is duplicated.

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"

	"github.com/unikgen/unikgen/gen/plan"
)

// SysnoFiles are the files of runtime/sysno that define system-call constants: Linux's calls and
// the library OS's private ones.
var SysnoFiles = []string{"table.go", "private.go"}

// ReadTree reads the system-call constants from the directory of runtime/sysno and the Generic
// table from the directory of runtime/sys.
func ReadTree(sysnoDir, sysDir string) (*plan.Tree, error) {
	var srcs []Source
	for _, f := range SysnoFiles {
		name := filepath.Join(sysnoDir, f)
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, Source{name, b})
	}
	name := filepath.Join(sysDir, "generic.go")
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseTree(srcs, Source{name, b})
}

// A Source is a file's name (used in errors) and content.
type Source struct {
	Name string
	Src  []byte
}

// ParseTree reads the system-call constants from the sysno sources (runtime/sysno) and the Generic
// table from generic (runtime/sys/generic.go).
func ParseTree(sysno []Source, generic Source) (*plan.Tree, error) {
	fset := token.NewFileSet()
	consts := map[string]int{}
	for _, s := range sysno {
		c, err := parseSysno(fset, s.Name, s.Src)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			consts[k] = v
		}
	}
	genericName, genericSrc := generic.Name, generic.Src
	t := &plan.Tree{Handlers: map[int]string{}, Names: map[int]string{}, Consts: map[int]string{}}
	for name, nr := range consts {
		t.Consts[nr] = name
		t.Names[nr] = strings.ToLower(strings.TrimPrefix(name, "SYS_"))
	}
	f, err := parser.ParseFile(fset, genericName, genericSrc, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var lit *ast.CompositeLit
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == "Generic" && i < len(vs.Values) {
					lit, _ = vs.Values[i].(*ast.CompositeLit)
				}
			}
		}
	}
	if lit == nil {
		return nil, fmt.Errorf("%s: no composite literal var Generic", genericName)
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: Generic element without key", fset.Position(e.Pos()))
		}
		key, ok1 := kv.Key.(*ast.SelectorExpr)
		val, ok2 := kv.Value.(*ast.Ident)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: Generic element is not sysno.SYS_X: Handler", fset.Position(e.Pos()))
		}
		nr, ok := consts[key.Sel.Name]
		if !ok {
			return nil, fmt.Errorf("%s: unknown system call constant %s", fset.Position(key.Pos()), key.Sel.Name)
		}
		if h, dup := t.Handlers[nr]; dup {
			return nil, fmt.Errorf("%s: %s listed twice (%s)", fset.Position(key.Pos()), key.Sel.Name, h)
		}
		t.Handlers[nr] = val.Name
	}
	return t, nil
}

// parseSysno returns the SYS_* integer constants of a file.
func parseSysno(fset *token.FileSet, name string, src []byte) (map[string]int, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "SYS_") || i >= len(vs.Values) {
					continue
				}
				bl, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || bl.Kind != token.INT {
					continue
				}
				v, ok := constant.Int64Val(constant.MakeFromLiteral(bl.Value, bl.Kind, 0))
				if !ok {
					continue
				}
				out[n.Name] = int(v)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no SYS_ constants", name)
	}
	return out, nil
}
