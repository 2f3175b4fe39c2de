// Command panic dies of an unrecovered panic: status 2 and a traceback on stderr.
package main

import "fmt"

func main() {
	fmt.Println("about to panic")
	panic(fmt.Sprintf("boom %d", 42))
}
