// Command xen is built for Xen only.
package main

import (
	"fmt"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{Target: config.Xen}

func main() {
	fmt.Println("hello, xen")
}
