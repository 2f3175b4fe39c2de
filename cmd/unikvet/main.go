// Command unikvet reports, as a go vet tool, uses of APIs that a unikgen unikernel cannot provide
// (process creation, ptrace, plugins, cgo) and errors in a program's config.Kernel literal (an
// unknown target, a memory size that is not positive...):
//
//	go vet -vettool=$(go tool -n unikvet) ./...
//
// See golang.org/x/tools/go/analysis/unitchecker and the packages
// github.com/unikgen/unikgen/analysis/unsupported and github.com/unikgen/unikgen/gen/configcheck.
package main

import (
	"github.com/unikgen/unikgen/analysis/unsupported"
	"github.com/unikgen/unikgen/gen/configcheck"
	"golang.org/x/tools/go/analysis/unitchecker"
)

func main() { unitchecker.Main(unsupported.Analyzer, configcheck.Analyzer) }
