// Command volumes keeps a counter on a persistent volume: the volume component (ext3) comes in
// with the file and block components, and the composition root lists the mount points.
package main

import (
	"os"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{Target: config.QEMU, Volumes: []config.Volume{{Path: "/data"}, {Path: "/var/log"}}}

func main() {
	os.WriteFile("/data/counter", []byte("1"), 0o644)
}
