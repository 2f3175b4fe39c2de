// This file checks the destinations of "unikgen build" before it builds.

package main

import (
	"bufio"
	"errors"
	"log"
	"os"
	"strings"

	"github.com/unikgen/unikgen/build"
)

// xlHeader starts every xl config that build writes (deploy/xl.cfg.tmpl).
const xlHeader = "# xl.cfg for the unikgen kernel "

// imageOutput returns the image file for -o out (see build.ImageOutput), or an exit status >= 0
// after saying why out cannot be used.
func imageOutput(out, importPath string) (string, int) {
	path, err := build.ImageOutput("", out, importPath)
	if err != nil {
		reportOutputError(out, err)
		return "", exitUsage
	}
	return path, -1
}

// checkXLOutput refuses an xl config path that holds a file build did not write, returning an
// exit status >= 0.
func checkXLOutput(out, path string) int {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return -1
	}
	if err == nil {
		defer f.Close()
		line, _ := bufio.NewReader(f).ReadString('\n')
		if strings.HasPrefix(line, xlHeader) {
			return -1 // an xl config of an earlier build
		}
	}
	reportOutputError(out, &build.OutputError{Path: path, Err: "already exists and is not an xl config written by unikgen; not overwriting it"})
	return exitUsage
}

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
