//go:build cgo

// Package d has a cgo file and a pure Go fallback: with CGO_ENABLED=0 (how unikgen builds kernels)
// the cgo file is left out, and the analyzer still reports it.
package d

// int answer(void) { return 42; }
import "C" // want `unikernel: package d uses cgo: cgo is not possible in a unikernel`

import _ "unsafe" // the program's own import of unsafe: not the one cgo writes for "C"

func Answer() int { return int(C.answer()) }
