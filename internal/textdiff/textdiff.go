// Package textdiff renders the differences between two texts as a unified diff (the format of
// diff -u and git diff, POSIX.1-2024 diff's -u option), with github.com/pmezard/go-difflib, a
// port of Python's difflib. `unikgen diff` prints it and golden tests fail with it.
package textdiff

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Context is the number of unchanged lines shown around each change.
const Context = 3

// Unified returns the unified diff from a (named aName) to b (named bName), "" when they are
// equal. A text that does not end in a newline is compared as if it did.
func Unified(aName, bName, a, b string) string {
	if a == b {
		return ""
	}
	s, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: aName, ToFile: bName, Context: Context,
	})
	if err != nil { // difflib fails only when writing to its buffer fails
		panic(err)
	}
	return s
}

// lines splits s into lines that end in "\n", as difflib wants them.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	l := strings.SplitAfter(s, "\n")
	return l[:len(l)-1] // the empty string after the last newline
}
