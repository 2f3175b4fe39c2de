// Command env prints two environment variables of the kernel command line.
package main

import (
	"fmt"
	"os"
)

func main() {
	v, ok := os.LookupEnv("UNIKGEN_GREETING")
	fmt.Printf("UNIKGEN_GREETING=%q %v\n", v, ok)
	_, ok = os.LookupEnv("UNIKGEN_UNSET")
	fmt.Printf("UNIKGEN_UNSET set: %v\n", ok)
	fmt.Printf("UNIKGEN_EMPTY=%q\n", os.Getenv("UNIKGEN_EMPTY"))
}
