// Command generic is built with -generic: every component and every system call.
package main

import "fmt"

func main() {
	fmt.Println("hello, unikernel")
}
