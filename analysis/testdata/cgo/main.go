// Command cgo has a file that uses cgo; the CGO_ENABLED=0 kernel build
// leaves it out and the analysis reports it.
package main

import "fmt"

func main() {
	fmt.Println(answer())
}
