package bootcases

import (
	"os"
	"testing"

	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// The volume program (internal/boottest/testdata/volume) saves files on /data the safe way
// (write, fsync, rename, fsync the directory) with argument "write", and reads them back with
// "check". These are the lines each run must print, under QEMU and under Xen.
var (
	// VolumeWritten: the first run's lines before "synced".
	VolumeWritten = []string{"statfs: type 0xef53 ", "mkdir: <nil>\n", "save config: <nil>\n",
		"save config again: <nil>\n", "log: <nil>\n", "symlink: <nil>\n", "dir sync: <nil>\n"}
	// VolumeChecked: the second run's lines (besides VolumeEntries).
	VolumeChecked = []string{
		"config: {\"version\": 2} <nil>\n",
		"blob0: 1000 bytes ok=true <nil>\n", "blob1: 71000 bytes ok=true <nil>\n",
		"blob2: 141000 bytes ok=true <nil>\n", "blob3: 211000 bytes ok=true <nil>\n",
		"blob4: 281000 bytes ok=true <nil>\n",
		// 100 lines "line N\n": 10*7 + 90*8 bytes.
		"log: 790 bytes ",
		"current -> config.json <nil>\n",
		"write more: <nil>\n", "done\n",
	}
)

// VolumeEntries is the start of the second run's listing of /data: every saved file.
const VolumeEntries = "entries: [blob0 blob1 blob2 blob3 blob4 config.json current logs"

// NewVolume makes a fresh volume image of size bytes at path, as `unikgen run -volume` does (an
// ext3 file system, services/fs/extfs/mkfs).
func NewVolume(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = mkfs.Format(f, size, mkfs.Options{Zeroed: true})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
