package gen

// This file implements reading the config.Kernel literal from the main package's syntax with
// go/types. The literal is never executed: each field must be a constant, or for Args and Env a
// literal of constants.

import (
	"fmt"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen/plan"
)

// A ConfigError is a positioned configuration error.
type ConfigError struct {
	Pos   string // file:line:col, or the CLI flag ("-target")
	Field string // the config.Kernel field, "" when the error is about the literal as a whole
	Msg   string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return e.Pos + ": " + e.Msg
	}
	return e.Pos + ": config.Kernel." + e.Field + ": " + e.Msg
}

// ConfigErrors are all the configuration errors of a program, one per line.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// CheckConfig reads the config.Kernel literal of a type-checked main package and checks it as
// Generate does, without knowing the library OS (target xen is accepted: whether the library OS
// the program builds against has a Xen platform is known at build time). It returns nil or
// ConfigErrors; unikvet reports them as vet diagnostics.
func CheckConfig(pkg *packages.Package) error {
	uc, err := readConfig(pkg)
	if err != nil {
		return err
	}
	_, err = settings(uc, Overrides{}, &plan.Tree{Xen: true})
	return err
}

// userConfig is what the program's config.Kernel literal says.
type userConfig struct {
	plan.Settings
	found bool
	pos   string            // of the literal
	field map[string]string // field name -> position of its value
}

// readConfig finds the package-level config.Kernel literal of pkg and evaluates it. Type errors
// inside the literal are reported with the field they belong to; other package errors are returned
// as a LoadError.
func readConfig(pkg *packages.Package) (*userConfig, error) {
	uc := &userConfig{field: map[string]string{}}
	fset := pkg.Fset
	var errs ConfigErrors
	var lits []*ast.CompositeLit
	for _, f := range pkg.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, s := range gd.Specs {
				for _, v := range s.(*ast.ValueSpec).Values {
					if u, ok := v.(*ast.UnaryExpr); ok && u.Op == token.AND {
						v = u.X
					}
					if lit, ok := v.(*ast.CompositeLit); ok && isKernel(pkg.TypesInfo.TypeOf(lit)) {
						lits = append(lits, lit)
					}
				}
			}
		}
	}
	sort.Slice(lits, func(i, j int) bool { return posLess(fset, lits[i].Pos(), lits[j].Pos()) })

	// Package errors: attribute those inside a literal to its field.
	var other []string
	typeErrs := false
	for _, pe := range pkg.Errors {
		typeErrs = typeErrs || pe.Kind == packages.TypeError
	}
	for _, pe := range pkg.Errors {
		if typeErrs && pe.Kind == packages.ListError && strings.HasPrefix(pe.Msg, "# "+pkg.PkgPath+"\n") {
			continue // the compiler's copy of the type errors
		}
		if e := attribute(fset, lits, pe); e != nil {
			errs = append(errs, e)
		} else {
			other = append(other, pe.Error())
		}
	}
	if len(other) > 0 {
		return nil, &LoadError{Errors: other}
	}
	if len(lits) > 1 {
		for _, l := range lits[1:] {
			errs = append(errs, &ConfigError{Pos: fset.Position(l.Pos()).String(),
				Msg: "more than one config.Kernel literal in the main package (the first is at " + fset.Position(lits[0].Pos()).String() + ")"})
		}
	}
	if len(lits) > 0 {
		uc.found = true
		uc.pos = fset.Position(lits[0].Pos()).String()
		skip := map[string]bool{} // fields with a type error
		for _, e := range errs {
			skip[e.Field] = true
		}
		for _, e := range evalKernel(pkg, lits[0], uc) {
			f, _, _ := strings.Cut(e.Field, "[")
			if !skip[f] {
				errs = append(errs, e)
			}
		}
		sort.SliceStable(errs, func(i, j int) bool { return posBefore(errs[i].Pos, errs[j].Pos) })
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return uc, nil
}

func posLess(fset *token.FileSet, a, b token.Pos) bool {
	pa, pb := fset.Position(a), fset.Position(b)
	if pa.Filename != pb.Filename {
		return pa.Filename < pb.Filename
	}
	return pa.Offset < pb.Offset
}

// isKernel reports whether t is config.Kernel.
func isKernel(t types.Type) bool {
	n, ok := t.(*types.Named)
	if !ok {
		return false
	}
	o := n.Obj()
	return o.Pkg() != nil && o.Pkg().Path() == libos.ConfigPackage && o.Name() == "Kernel"
}

// attribute turns a package error inside a literal's element into a ConfigError for its field.
func attribute(fset *token.FileSet, lits []*ast.CompositeLit, pe packages.Error) *ConfigError {
	if pe.Kind != packages.TypeError || pe.Pos == "" {
		return nil
	}
	for _, l := range lits {
		start, end := fset.Position(l.Pos()), fset.Position(l.End())
		var file string
		var line, col int
		if _, err := fmt.Sscanf(pos3(pe.Pos), "%s %d %d", &file, &line, &col); err != nil || file != start.Filename {
			continue
		}
		if before(line, col, start) || !before(line, col, end) {
			continue
		}
		field := ""
		for _, e := range l.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			s, en := fset.Position(kv.Pos()), fset.Position(kv.End())
			if !before(line, col, s) && before(line, col, en) {
				if id, ok := kv.Key.(*ast.Ident); ok {
					field = id.Name
				}
			}
		}
		return &ConfigError{Pos: pe.Pos, Field: field, Msg: pe.Msg}
	}
	return nil
}

// pos3 turns "file:line:col" into "file line col" for scanning (file names may hold colons only on
// systems unikgen does not run on).
func pos3(pos string) string {
	i := strings.LastIndexByte(pos, ':')
	if i < 0 {
		return pos
	}
	j := strings.LastIndexByte(pos[:i], ':')
	if j < 0 {
		return pos
	}
	return pos[:j] + " " + pos[j+1:i] + " " + pos[i+1:]
}

// before reports whether line:col comes before p.
func before(line, col int, p token.Position) bool {
	return line < p.Line || line == p.Line && col < p.Column
}

// evalKernel evaluates the fields of a config.Kernel literal into uc. Each field is read by its
// type in config.Kernel (a constant string, integer or bool, or a []string literal of constant
// strings), so a new field of config.Kernel is read without a change here; the checks that
// follow are the ones that belong to the literal (plan.Check does the rest, for flags too).
func evalKernel(pkg *packages.Package, lit *ast.CompositeLit, uc *userConfig) ConfigErrors {
	fset, info := pkg.Fset, pkg.TypesInfo
	var errs ConfigErrors
	bad := func(n ast.Node, field, format string, args ...any) {
		errs = append(errs, &ConfigError{Pos: fset.Position(n.Pos()).String(), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	kernel := reflect.ValueOf(&uc.Kernel).Elem()
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			bad(e, "", "config.Kernel literal must name its fields (Target: ..., MemoryMiB: ...)")
			continue
		}
		id, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue // a type error already reported
		}
		name, v := id.Name, kv.Value
		uc.field[name] = fset.Position(v.Pos()).String()
		f := kernel.FieldByName(name)
		if !f.IsValid() {
			bad(kv, name, "unikgen does not know this field")
			continue
		}
		if name == "Volumes" { // a []config.Volume literal, checked where each path is written
			uc.Volumes = evalVolumes(info, fset, v, uc, func(n ast.Node, field, format string, args ...any) { bad(n, field, format, args...) })
			continue
		}
		switch f.Kind() {
		case reflect.String:
			s, ok := constString(info, v)
			if !ok {
				bad(v, name, "must be a constant string")
				continue
			}
			f.SetString(s)
		case reflect.Int:
			tv := info.Types[v]
			n, exact := int64(0), false
			if tv.Value != nil && tv.Value.Kind() == constant.Int {
				n, exact = constant.Int64Val(tv.Value)
			}
			if !exact || f.OverflowInt(n) {
				bad(v, name, "must be a constant integer")
				continue
			}
			f.SetInt(n)
		case reflect.Bool:
			tv := info.Types[v]
			if tv.Value == nil || tv.Value.Kind() != constant.Bool {
				bad(v, name, "must be a constant bool")
				continue
			}
			f.SetBool(constant.BoolVal(tv.Value))
		case reflect.Slice: // []string
			list, ok := constStrings(info, v, func(n ast.Node, format string, args ...any) { bad(n, name, format, args...) })
			if !ok {
				continue
			}
			f.Set(reflect.ValueOf(list))
		default:
			panic("gen: config.Kernel." + name + " has a type the reader does not know")
		}
		// The literal's own checks, reported together with its other errors.
		switch name {
		case "Target":
			// plan.Check says the same for -target; saying it here reports it with the rest.
			if t := uc.Target; t != "" && !t.Known() {
				err := plan.CheckTarget(t, &plan.Tree{Xen: true})
				bad(v, name, "%s", err.(*plan.Error).Msg)
			}
		case "MemoryMiB":
			if uc.MemoryMiB < 0 {
				bad(v, name, "%d MiB: must be positive (0 means the default)", uc.MemoryMiB)
			}
		case "Env":
			for i, s := range uc.Env { // not empty: v is a literal (Env: nil is allowed)
				if err := cmdline.CheckEnv(s); err != nil {
					bad(v.(*ast.CompositeLit).Elts[i], fmt.Sprintf("Env[%d]", i), "%v", err)
				}
			}
		}
	}
	return errs
}

// evalVolumes evaluates nil or a []config.Volume literal whose elements name their fields with
// constants, checking each mount point where it is written (Volumes[i].Path).
func evalVolumes(info *types.Info, fset *token.FileSet, e ast.Expr, uc *userConfig, bad func(ast.Node, string, string, ...any)) []config.Volume {
	if id, ok := e.(*ast.Ident); ok && info.Uses[id] == types.Universe.Lookup("nil") {
		return nil
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		bad(e, "Volumes", "must be a []config.Volume literal")
		return nil
	}
	var out []config.Volume
	var valid []string
	for i, el := range cl.Elts {
		if u, ok := el.(*ast.UnaryExpr); ok && u.Op == token.AND {
			el = u.X
		}
		field := fmt.Sprintf("Volumes[%d]", i)
		vl, ok := el.(*ast.CompositeLit)
		if !ok {
			bad(el, field, "must be a config.Volume literal, like {Path: \"/data\"}")
			continue
		}
		path, found := "", false
		for _, f := range vl.Elts {
			kv, ok := f.(*ast.KeyValueExpr)
			if !ok {
				bad(f, field, "config.Volume literal must name its fields (Path: ...)")
				continue
			}
			id, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			switch id.Name {
			case "Path":
				pos := fmt.Sprint(field, ".Path")
				uc.field[pos] = fset.Position(kv.Value.Pos()).String()
				s, ok := constString(info, kv.Value)
				if !ok {
					bad(kv.Value, pos, "must be a constant string")
					continue
				}
				path, found = s, true
				if err := config.CheckVolumePath(s); err != nil {
					bad(kv.Value, pos, "%v", err)
					continue
				}
				conflict := false
				for _, q := range valid {
					switch {
					case q == s:
						bad(kv.Value, pos, "%s is given twice", s)
					case strings.HasPrefix(s, q+"/"), strings.HasPrefix(q, s+"/"):
						bad(kv.Value, pos, "%s and %s are nested: volumes cannot be mounted inside each other", s, q)
					default:
						continue
					}
					conflict = true
					break
				}
				if !conflict {
					valid = append(valid, s)
				}
			default:
				bad(kv, field, "unikgen does not know the field config.Volume.%s", id.Name)
			}
		}
		if !found {
			bad(vl, field, "a volume needs its Path")
		}
		out = append(out, config.Volume{Path: path})
	}
	return out
}

func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv := info.Types[e]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// constStrings evaluates nil or a []string literal of constants.
func constStrings(info *types.Info, e ast.Expr, bad func(ast.Node, string, ...any)) ([]string, bool) {
	if id, ok := e.(*ast.Ident); ok && info.Uses[id] == types.Universe.Lookup("nil") {
		return nil, true
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		bad(e, "must be a []string literal of constants")
		return nil, false
	}
	out := []string{}
	okAll := true
	for _, el := range cl.Elts {
		s, ok := constString(info, el)
		if !ok {
			bad(el, "element must be a constant string")
			okAll = false
		}
		out = append(out, s)
	}
	return out, okAll
}

// posBefore orders "file:line:col" positions.
func posBefore(a, b string) bool {
	var fa, fb string
	var la, ca, lb, cb int
	fmt.Sscanf(pos3(a), "%s %d %d", &fa, &la, &ca)
	fmt.Sscanf(pos3(b), "%s %d %d", &fb, &lb, &cb)
	if fa != fb {
		return fa < fb
	}
	if la != lb {
		return la < lb
	}
	return ca < cb
}
