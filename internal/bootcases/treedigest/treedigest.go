// Package treedigest hashes a directory tree: the digest that internal/boottest/testdata/files
// prints for its root file system inside a kernel, and that the boot tests compute for the same
// tree on the host (internal/bootcases.FilesDigest).
package treedigest

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Sum hashes the tree at root with SHA-256: each entry's path relative to root and its type,
// then its contents (a regular file) or "-> TARGET" (a symbolic link), in filepath.WalkDir's
// order. It returns the digest in hexadecimal and the number of entries.
func Sum(root string) (string, int, error) {
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		n++
		fmt.Fprintf(h, "%s %v\n", rel, d.Type())
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %s\n", l)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil)), n, err
}
