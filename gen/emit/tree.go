package emit

// This file implements reading the library OS's own tables from its source: the system-call numbers
// of runtime/sysno and the handler mapping of runtime/sys.Generic, so that neither is duplicated.

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"strings"

	"github.com/unikgen/unikgen/gen/plan"
)

// ParseTree reads the system-call constants from sysnoSrc (runtime/sysno/table.go) and the Generic
// table from genericSrc (runtime/sys/generic.go). The names of the files are used in errors.
func ParseTree(sysnoName string, sysnoSrc []byte, genericName string, genericSrc []byte) (*plan.Tree, error) {
	fset := token.NewFileSet()
	consts, err := parseSysno(fset, sysnoName, sysnoSrc)
	if err != nil {
		return nil, err
	}
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
