// Command exec tries to start a process, which a unikernel cannot do: the call must fail with an
// error, not crash.
package main

import (
	"fmt"
	"os/exec"
)

func main() {
	err := exec.Command("/bin/true").Run()
	fmt.Println("exec fails:", err != nil)
}
