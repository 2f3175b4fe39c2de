// Command smallmem asks for less memory than its kernel image needs.
package main

import (
	"fmt"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{MemoryMiB: 3}

func main() { fmt.Println("too small") }
