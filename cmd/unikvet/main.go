// Command unikvet reports uses of APIs that a unikgen unikernel cannot provide
// (process creation, ptrace, plugins, cgo), as a go vet tool:
//
//	go vet -vettool=$(go tool -n unikvet) ./...
//
// See golang.org/x/tools/go/analysis/unitchecker and package
// github.com/unikgen/unikgen/analysis/unsupported.
package main

import (
	"github.com/unikgen/unikgen/analysis/unsupported"
	"golang.org/x/tools/go/analysis/unitchecker"
)

func main() { unitchecker.Main(unsupported.Analyzer) }
