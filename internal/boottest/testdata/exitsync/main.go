// Command exitsync writes files on the persistent volume at /data and exits at once, without
// fsync and before the volume's 5 s commit timer fires (argument "write"); with "check" it reads
// them back; with "panic" it writes and panics. internal/boottest.TestExitSync checks that the
// exit kept them, and that a panic powers off at once.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/bootcases/payload"
)

var _ = config.Kernel{Target: config.QEMU, Volumes: []config.Volume{{Path: "/data"}}}

const bigSize = 300000

func main() {
	mode := "check"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "write":
		fmt.Println("mkdir:", os.MkdirAll("/data/out", 0o755))
		fmt.Println("notes:", os.WriteFile("/data/out/notes.txt", []byte("kept at exit\n"), 0o644))
		fmt.Println("big:", os.WriteFile("/data/out/big", payload.Bytes(7, bigSize), 0o644))
		fmt.Println("exiting")
		os.Exit(0)
	case "panic":
		fmt.Println("notes:", os.WriteFile("/data/out/notes.txt", []byte("lost\n"), 0o644))
		panic("on purpose")
	case "check":
		b, err := os.ReadFile("/data/out/notes.txt")
		fmt.Printf("notes: %q %v\n", b, err)
		b, err = os.ReadFile("/data/out/big")
		fmt.Printf("big: %d bytes ok=%v %v\n", len(b), bytes.Equal(b, payload.Bytes(7, bigSize)), err)
	}
}
