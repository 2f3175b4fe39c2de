// Command xenvolumes asks for a volume on target xen, which has no block devices yet.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{Target: config.Xen, Volumes: []config.Volume{{Path: "/data"}}}

func main() {}
