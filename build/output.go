// This file decides where an image is written, and refuses destinations that hold something else.

package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// OutputError reports a destination (-o) that cannot receive the image: it names a missing
// directory, or an existing file that is not an image and would be lost.
type OutputError struct {
	Path string // the file or directory
	Err  string // what is wrong with it, a predicate: "already exists and ..."
}

func (e *OutputError) Error() string { return e.Path + " " + e.Err }

// elfMagic starts every ELF file.
var elfMagic = []byte("\x7fELF")

// ImageOutput returns the file that an image of the main package importPath is written to, given
// the requested output out, as go build -o treats it:
//
//   - "" is DefaultImageName(importPath) in dir;
//   - an existing directory, or a name ending in a path separator, gets DefaultImageName(importPath)
//     inside it;
//   - the directory the file goes in must exist;
//   - an existing file is replaced only if it is an ELF file (an earlier image or executable), so
//     that `-o main.go` does not destroy the program's source. os.DevNull is accepted as is.
//
// It returns an *OutputError for a destination that cannot be used.
func ImageOutput(dir, out, importPath string) (string, error) {
	name := DefaultImageName(importPath)
	if out == "" {
		return filepath.Join(dir, name), nil
	}
	if out == os.DevNull {
		return out, nil
	}
	if strings.HasSuffix(out, string(filepath.Separator)) || strings.HasSuffix(out, "/") {
		st, err := os.Stat(out)
		if err != nil || !st.IsDir() {
			return "", &OutputError{Path: out, Err: "is not an existing directory"}
		}
		return checkOutputFile(filepath.Join(out, name))
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return checkOutputFile(filepath.Join(out, name))
	}
	return checkOutputFile(out)
}

// checkOutputFile checks that path can receive an image: its directory exists and path is
// absent or an ELF file.
func checkOutputFile(path string) (string, error) {
	parent := filepath.Dir(path)
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return "", &OutputError{Path: path, Err: fmt.Sprintf("cannot be written: directory %s does not exist", parent)}
	}
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", &OutputError{Path: path, Err: "cannot be checked: " + err.Error()}
	}
	if st.IsDir() {
		return "", &OutputError{Path: path, Err: "is a directory"}
	}
	if !st.Mode().IsRegular() || !isELF(path) {
		return "", &OutputError{Path: path, Err: "already exists and is not a kernel image or other ELF file; not overwriting it"}
	}
	return path, nil
}

// isELF reports whether the file at path starts with the ELF magic number.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(elfMagic))
	_, err = io.ReadFull(f, head)
	return err == nil && bytes.Equal(head, elfMagic)
}
