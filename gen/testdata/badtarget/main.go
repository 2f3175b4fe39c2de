// Command badtarget names a target that does not exist.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{
	Target: "vmware",
}

func main() {}
