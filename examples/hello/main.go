// Command hello is the first rung of the examples ladder: it prints one line and exits 0. It is an
// ordinary Go program (go run ./examples/hello) and, through unikgen, a standalone kernel
// (unikgen run ./examples/hello).
package main

import "fmt"

func main() {
	fmt.Println("Hello, unikernel!")
}
