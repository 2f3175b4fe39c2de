// Command badenv has environment entries that are not KEY=VALUE.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{
	Env:    []string{"GOOD=1", "bad", "=empty"},
	Unused: true,
}

func main() {}
