// Command badtype gives MemoryMiB a string.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{
	Target:    "qemu",
	MemoryMiB: "64",
}

func main() {}
