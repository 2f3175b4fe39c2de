// This file implements the cutting of call paths at the standard library, for records that must
// not change with the Go release.

package analysis

import "strings"

// FuncPackage returns the import path of the package of a function as go/ssa names it
// ("fmt.Println", "(*net/http.Server).Serve", "example.com/app.main$1", "pkg.F[int]"), or "" for a
// name without one (a builtin such as "println", "SYSCALL write"). A last path element with a dot
// (gopkg.in/yaml.v3) is cut at that dot, as the name is ambiguous there; the first element, which
// IsStandard reads, is always right.
func FuncPackage(fn string) string {
	fn = strings.TrimLeft(fn, "(*")
	if i := strings.IndexAny(fn, "[ "); i >= 0 {
		fn = fn[:i] // type arguments, or "SYSCALL name"
	}
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return ""
	}
	return fn[:slash+1+dot]
}

// IsStandard reports whether the package pkg belongs to the standard library (or is a builtin,
// pkg ""), as the go command decides it: the first element of its path has no dot. mainPkg is the
// main package's path: a main module whose path has no dot in its first element ("app") is not
// the standard library.
func IsStandard(pkg, mainPkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	mainFirst, _, _ := strings.Cut(mainPkg, "/")
	return !strings.Contains(first, ".") && first != mainFirst
}

// CutAtStandard returns p without the steps inside the standard library: of each run of
// consecutive steps in standard packages (see IsStandard), only the first, the call that enters
// the standard library, is kept, and positions are dropped. The functions inside the standard
// library, and even their names, change with the Go release; the steps kept are those of the
// program, its modules and the library OS, and the standard API each of them calls. Result.Why
// gives the whole path.
func CutAtStandard(p Path, mainPkg string) Path {
	if p == nil {
		return nil
	}
	out := Path{}
	inStd := false
	for _, s := range p {
		std := IsStandard(FuncPackage(s.Func), mainPkg)
		if std && inStd {
			continue
		}
		inStd = std
		s.Pos = ""
		out = append(out, s)
	}
	return out
}
