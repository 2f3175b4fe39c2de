// Command fmt prints with fmt only.
package main

import "fmt"

func main() {
	fmt.Println("hello, unikernel")
}
