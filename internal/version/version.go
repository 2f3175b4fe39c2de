// Package version says which version of unikgen is running: the version of the module
// github.com/unikgen/unikgen it was built from, as the go command records it in the binary
// (runtime/debug.BuildInfo; go help buildinfo).
package version

import (
	"runtime/debug"

	"github.com/unikgen/unikgen/internal/libos"
)

// Devel is the version of a unikgen built from a work tree (go build, go test, go run in this
// repository) rather than from a module version.
const Devel = "devel"

// String returns the module version of unikgen in this binary ("v0.4.0"), or Devel.
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Devel
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) string {
	if bi.Main.Path == libos.Module {
		return orDevel(bi.Main.Version)
	}
	// go tool unikgen in another module: unikgen is a dependency of the tool binary.
	for _, d := range bi.Deps {
		if d.Path == libos.Module {
			if d.Replace != nil {
				return orDevel(d.Replace.Version)
			}
			return orDevel(d.Version)
		}
	}
	return Devel
}

func orDevel(v string) string {
	if v == "" || v == "(devel)" {
		return Devel
	}
	return v
}
