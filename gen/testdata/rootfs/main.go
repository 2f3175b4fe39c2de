// Command rootfs bakes its site directory in as the root file system and prints nothing else:
// the file component must be in, with the image embedded in the composition root.
package main

import (
	"fmt"

	"github.com/unikgen/unikgen/config"
)

var _ = config.Kernel{RootFS: "site"}

func main() {
	fmt.Println("hello")
}
