package bootcases

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/unikgen/unikgen/internal/bootcases/treedigest"
	"github.com/unikgen/unikgen/internal/testenv"
)

// The files program (the file component: root file system, /etc, /dev, /proc, tmpfs) and the
// root file system baked into it, relative to the module root.
const (
	FilesPkg    = "internal/boottest/testdata/files"
	FilesRootFS = FilesPkg + "/rootfs"
)

// FilesDigest is the line the files program prints for its root file system's www tree when
// the kernel reads the same tree as the host has (treedigest.Sum of FilesRootFS/www).
func FilesDigest(t testing.TB) string {
	t.Helper()
	d, n, err := treedigest.Sum(filepath.Join(testenv.ModuleRoot(), FilesRootFS, "www"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("digest www %s %d <nil>\n", d, n)
}
