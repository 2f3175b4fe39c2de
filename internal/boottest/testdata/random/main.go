// Command random reads from crypto/rand (getrandom, served by RDRAND) and from math/rand/v2's
// runtime-seeded generator (AT_RANDOM): two reads must differ and not be all zeros.
package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
)

func main() {
	a, b := make([]byte, 32), make([]byte, 32)
	rand.Read(a)
	rand.Read(b)
	fmt.Println("crypto/rand ok:", !bytes.Equal(a, b) && !bytes.Equal(a, make([]byte, 32)))
	fmt.Println("math/rand ok:", mrand.Uint64() != mrand.Uint64())
}
