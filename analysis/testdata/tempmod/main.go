// Command app lives in its own module; its helper package runs a shell,
// so the diagnostic points into the helper, the innermost frame of the
// user's module.
package main

import (
	"fmt"
	"os"

	"example.com/app/internal/shell"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println(shell.Run(os.Args[1]))
	}
}
