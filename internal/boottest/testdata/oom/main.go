// Command oom touches more memory than the machine has. The kernel must say it ran out of memory
// and end the machine with a non-zero status.
package main

import "fmt"

var keep [][]byte

func main() {
	fmt.Println("allocating until memory runs out")
	for {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		keep = append(keep, b)
	}
}
