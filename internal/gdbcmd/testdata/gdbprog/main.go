// Command gdbprog is the program the gdb test debugs: a package-level variable to read at the
// breakpoint on main.main, and output that shows it ran to the end afterwards.
package main

import "fmt"

var counter = 41

func main() {
	counter++ // gdbprog: the line after the breakpoint
	fmt.Println("gdbprog: counter", counter)
}
