// Package shell runs shell commands.
package shell

import "os/exec"

// Run runs cmd with /bin/sh and returns its output.
func Run(cmd string) string {
	out, _ := exec.Command("/bin/sh", "-c", cmd).CombinedOutput()
	return string(out)
}
