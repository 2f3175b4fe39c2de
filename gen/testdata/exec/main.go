// Command exec runs a process, which a unikernel cannot do: an error with its path.
package main

import (
	"fmt"
	"os/exec"
)

func main() {
	out, err := run("uname", "-a")
	fmt.Println(string(out), err)
}

func run(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).Output()
}
