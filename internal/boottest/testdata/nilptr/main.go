// Command nilptr dereferences a nil pointer: a SIGSEGV that the runtime turns into a panic.
package main

import "fmt"

type node struct{ next *node }

//go:noinline
func depth(n *node) int { return 1 + depth(n.next) }

func main() {
	fmt.Println("about to dereference nil")
	fmt.Println(depth(&node{}))
}
