// This file checks the destinations of "unikgen build" before it builds.

package main

import (
	"errors"
	"log"

	"github.com/unikgen/unikgen/build"
)

// reportOutputError says why the destination out (the -o flag) cannot be used.
func reportOutputError(out string, err error) {
	var oe *build.OutputError
	switch {
	case errors.As(err, &oe) && oe.Path == out:
		log.Printf("-o %s: %s", out, oe.Err)
	case out == "":
		log.Print(err)
	default:
		log.Printf("-o %s: %v", out, err)
	}
}
