// Command nonconst sets fields from variables: the configuration is never executed.
package main

import (
	"os"

	"github.com/unikgen/unikgen/config"
)

var name = "app"

var _ = config.Kernel{
	Name: name,
	Args: os.Args,
	Env:  []string{"A=1", name},
}

func main() {}
