// This file implements go test's per-package report lines (cmd/go/internal/test, Go 1.26).

package kerneltest

import (
	"fmt"
	"io"
)

// report prints r as go test prints a package's result in package list mode: the output of a
// failed test binary (already printed under -v), then "ok", "FAIL" or "?" with the package and
// the time.
func report(stdout, stderr io.Writer, r Result, verbose bool) {
	switch r.Outcome {
	case Passed:
		fmt.Fprintf(stdout, "ok  \t%s\t%.3fs\n", r.ImportPath, r.Elapsed.Seconds())
	case Failed:
		if !verbose {
			stdout.Write(r.Output)
		}
		fmt.Fprintf(stdout, "FAIL\t%s\t%.3fs\n", r.ImportPath, r.Elapsed.Seconds())
	case NoTests:
		fmt.Fprintf(stdout, "?   \t%s\t[no test files]\n", r.ImportPath)
	case BuildFailed:
		stderr.Write(r.Output)
		fmt.Fprintf(stdout, "FAIL\t%s [build failed]\n", r.ImportPath)
	}
}
