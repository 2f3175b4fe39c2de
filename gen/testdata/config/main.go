// Command config sets every field of config.Kernel.
package main

import (
	"fmt"
	"os"

	"github.com/unikgen/unikgen/config"
)

const greeting = "hello world"

var _ = config.Kernel{
	Target:        config.QEMU,
	Name:          "greeter",
	MemoryMiB:     32,
	Args:          []string{"-greeting", greeting, "--"},
	Env:           []string{"GODEBUG=asyncpreemptoff=1", "LANG=C"},
	DebugSyscalls: true,
}

func main() {
	fmt.Println(os.Args, os.Getenv("LANG"))
}
