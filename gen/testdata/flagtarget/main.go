// Command flagtarget is generated with -target vmware: the flag is named in the error.
package main

import "fmt"

func main() {
	fmt.Println("hello, unikernel")
}
