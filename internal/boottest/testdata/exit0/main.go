// Command exit0 exits explicitly with status 0 while a goroutine is still blocked.
package main

import (
	"fmt"
	"os"
)

func main() {
	go func() { select {} }()
	fmt.Println("exiting with 0")
	os.Exit(0)
}
