// Command twoconfigs has two config.Kernel literals.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{Target: "qemu"}

var _ = &config.Kernel{Target: "xen"}

func main() {}
