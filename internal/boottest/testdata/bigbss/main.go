// Command bigbss has a 32 MiB zero-initialised array, the end of its BSS, and runs in a machine
// with less memory than that: the array must read as zeros, and what the program writes into it
// must stay. The image does not ask the loader for the array (package image's zero tail); the kernel
// maps its pages on demand.
package main

import "fmt"

var big [32 << 20]byte

func main() {
	zero := true
	for i := 0; i < len(big); i += 1 << 20 {
		zero = zero && big[i] == 0 && big[i+1<<20-1] == 0
	}
	// Every page of the first 4 MiB, and a page in each MiB after: more than the machine's
	// memory apart, less than it in all.
	for i := 0; i < len(big); i += 4096 {
		if i < 4<<20 || i%(1<<20) == 0 {
			big[i] = byte(i>>12) | 1
		}
	}
	kept := true
	for i := 0; i < len(big); i += 4096 {
		if i < 4<<20 || i%(1<<20) == 0 {
			kept = kept && big[i] == byte(i>>12)|1 && big[i+1] == 0
		}
	}
	fmt.Println("zeros:", zero)
	fmt.Println("writes kept:", kept)
}
