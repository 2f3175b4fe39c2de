// Command bigoutput writes a given number of bytes to standard output in the pattern of
// internal/consoletest (numbered 100-byte lines), either one write(2) per line or in blocks of
// about 32 KiB, then a last line on standard error, so that the host can check that the output
// arrived complete and in order, and time it.
//
// With "fault", it writes in blocks and then makes the kernel fault (write(2) from page 0), for
// the order of the kernel's report against the program's output.
//
// Usage: bigoutput BYTES lines|blocks|fault
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/unikgen/unikgen/internal/consoletest"
)

func main() {
	if len(os.Args) != 3 || os.Args[2] != "lines" && os.Args[2] != "blocks" && os.Args[2] != "fault" {
		fmt.Fprintln(os.Stderr, "usage: bigoutput BYTES lines|blocks|fault")
		os.Exit(2)
	}
	total, err := strconv.Atoi(os.Args[1])
	if err != nil || total%consoletest.LineSize != 0 {
		fmt.Fprintln(os.Stderr, "bigoutput: BYTES must be a multiple of", consoletest.LineSize)
		os.Exit(2)
	}
	var buf []byte
	for off := 0; off < total; off += consoletest.LineSize {
		buf = consoletest.Line(buf, off)
		if os.Args[2] == "lines" || len(buf) >= 32<<10 {
			os.Stdout.Write(buf)
			buf = buf[:0]
		}
	}
	os.Stdout.Write(buf)
	if os.Args[2] == "fault" {
		syscall.Syscall(syscall.SYS_WRITE, 1, 8, 5)
	}
	fmt.Fprintf(os.Stderr, "bigoutput: wrote %d bytes\n", total)
}
