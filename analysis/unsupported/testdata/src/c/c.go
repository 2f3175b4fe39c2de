// Package c uses cgo.
package c

import "C" // want `unikernel: package c uses cgo: cgo is not possible in a unikernel`
