// Command execdynamic runs a process through an interface: the call in the
// user's code is dynamic, and the analysis still reports it, at that call.
package main

import (
	"fmt"
	"os/exec"
)

type runner interface{ Run() error }

func main() {
	var r runner = exec.Command("true")
	fmt.Println(r.Run())
}
