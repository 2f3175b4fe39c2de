// This file implements finding a package's runnable examples, which a test kernel cannot run.

package kerneltest

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
)

// NoExamplesReason says why a test kernel does not run examples: the testing package captures
// an example's standard output through os.Pipe (testing/run_example.go), and the library OS has
// no pipe2 (docs/libos.md): the test binary would stop at the first example.
const NoExamplesReason = "the library OS has no pipe2, through which the testing package captures an example's output"

// skipExamples is the -test.skip pattern that leaves out the examples.
const skipExamples = "^Example"

// RunnableExamples returns the names of the examples of p that go test runs (those with an
// output comment), from its test files.
func RunnableExamples(p *Package) ([]string, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range append(append([]string{}, p.TestGoFiles...), p.XTestGoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	var names []string
	for _, e := range doc.Examples(files...) {
		if e.Output != "" || e.EmptyOutput {
			names = append(names, "Example"+e.Name)
		}
	}
	return names, nil
}
