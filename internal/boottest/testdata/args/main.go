// Command args prints its arguments, quoted, one per line, and its argument count as status.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println(len(os.Args) - 1)
	for _, a := range os.Args[1:] {
		fmt.Printf("%q\n", a)
	}
	os.Exit(len(os.Args) - 1)
}
