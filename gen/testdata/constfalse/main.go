// Command constfalse has its only network call behind a constant-false condition: the network
// component must stay out without a witness.
package main

import (
	"fmt"
	"net"
)

const useNet = false

func main() {
	fmt.Println("offline")
	if useNet {
		c, err := net.Dial("tcp", "example.com:80")
		if err == nil {
			c.Close()
		}
	}
}
