// Package notmain is a library: a kernel cannot be built from it.
package notmain

// Answer returns 42.
func Answer() int { return 42 }
