// Package configcheck is a go/analysis pass (golang.org/x/tools/go/analysis) that reports the
// configuration errors of a main package's config.Kernel literal (an unknown target, a memory
// size that is not positive, a field that is not a constant...) where they are, as unikgen build
// would (gen.CheckConfig), so that go vet -vettool=unikvet and editors show them before a build.
package configcheck

import (
	"errors"
	"go/token"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"

	"github.com/unikgen/unikgen/gen"
)

// Analyzer reports configuration errors of config.Kernel literals.
var Analyzer = &analysis.Analyzer{
	Name: "unikconfig",
	Doc:  "report errors in a unikgen program's config.Kernel literal (target, memory, name, arguments, environment)",
	URL:  "https://pkg.go.dev/github.com/unikgen/unikgen/gen/configcheck",
	Run:  run,
}

func run(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Name() != "main" {
		return nil, nil
	}
	pkg := &packages.Package{
		ID: pass.Pkg.Path(), Name: pass.Pkg.Name(), PkgPath: pass.Pkg.Path(),
		Fset: pass.Fset, Syntax: pass.Files, Types: pass.Pkg, TypesInfo: pass.TypesInfo,
	}
	err := gen.CheckConfig(pkg)
	var ces gen.ConfigErrors
	if !errors.As(err, &ces) {
		return nil, nil // no literal, a clean one, or a program that does not type-check (the compiler says why)
	}
	for _, ce := range ces {
		msg := ce.Msg
		if ce.Field != "" {
			msg = "config.Kernel." + ce.Field + ": " + msg
		}
		pass.Report(analysis.Diagnostic{Pos: position(pass, ce.Pos), Message: "unikgen: " + msg})
	}
	return nil, nil
}

// position turns "file:line:col" into a token.Pos of the pass's files (token.NoPos if it is not
// one of them).
func position(pass *analysis.Pass, pos string) token.Pos {
	i := strings.LastIndexByte(pos, ':')
	j := strings.LastIndexByte(pos[:max(i, 0)], ':')
	if i < 0 || j < 0 {
		return token.NoPos
	}
	line, err1 := strconv.Atoi(pos[j+1 : i])
	col, err2 := strconv.Atoi(pos[i+1:])
	if err1 != nil || err2 != nil {
		return token.NoPos
	}
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		if tf == nil || tf.Name() != pos[:j] || line < 1 || line > tf.LineCount() {
			continue
		}
		return tf.LineStart(line) + token.Pos(col-1)
	}
	return token.NoPos
}
