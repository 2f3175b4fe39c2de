// Command memcfg asks for 48 MiB in its configuration and prints the soft memory limit the Go
// runtime got from the kernel (GOMEMLIMIT, set from the machine's memory), from which the test
// tells the guest memory `unikgen run` gave it.
package main

import (
	"fmt"
	"runtime/debug"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{MemoryMiB: 48}

func main() {
	fmt.Printf("memory limit: %d MiB\n", debug.SetMemoryLimit(-1)>>20)
}
