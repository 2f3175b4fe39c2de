package extfs

import (
	"fmt"
	"os"

	"github.com/unikgen/unikgen/services/fs"
)

// MountVolume mounts the file system on a block device as the volume at path (services/fs's
// Config.MountVolume): a device the host made read-only is mounted read-only, and the file
// system's messages go to standard error with the volume's name.
func MountVolume(dev fs.BlockDevice, path string) (fs.FileSystem, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "unikgen: volume %s: %s\n", path, fmt.Sprintf(format, args...))
	}
	f, err := Mount(dev, Options{ReadOnly: dev.ReadOnly(), Log: logf})
	if err != nil {
		return nil, err
	}
	return f, nil
}
