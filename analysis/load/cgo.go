// This file finds uses of cgo that the kernel's CGO_ENABLED=0 build ignores.

package load

import (
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// A CgoUse is an `import "C"` in a file that the kernel build ignores.
type CgoUse struct {
	Pkg  string         // import path of the package
	Pos  token.Position // position of the import spec
	File string         // absolute file name
}

// cgoUses reports the ignored files of p that import "C". Files in GOROOT
// are skipped: the standard library always has a pure-Go fallback.
func cgoUses(p *packages.Package, tags []string) []CgoUse {
	var out []CgoUse
	goroot := runtime.GOROOT()
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH, ctxt.CgoEnabled = "linux", "amd64", true
	ctxt.BuildTags = tags
	for _, file := range p.IgnoredFiles {
		if !strings.HasSuffix(file, ".go") || (goroot != "" && strings.HasPrefix(file, goroot+"/")) {
			continue
		}
		// Only files that a cgo-enabled linux/amd64 build would compile.
		if ok, err := ctxt.MatchFile(filepath.Dir(file), filepath.Base(file)); err != nil || !ok {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "C" {
				out = append(out, CgoUse{Pkg: p.PkgPath, Pos: fset.Position(imp.Pos()), File: file})
			}
		}
	}
	return out
}
