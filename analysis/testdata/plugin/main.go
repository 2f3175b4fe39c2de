// Command plugin loads a Go plugin, which a unikernel cannot do.
package main

import (
	"fmt"
	"plugin"
)

func main() {
	p, err := plugin.Open("greeter.so")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
}
