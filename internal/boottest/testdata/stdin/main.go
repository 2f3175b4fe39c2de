// Command stdin reads its standard input to the end, for the console input tests:
//
//	stdin upper   numbers each line and upper-cases it; at end of input it says how many lines
//	              it read and exits with that number as its status
//	stdin cat     copies standard input to standard output unchanged, then says how many bytes
//	stdin poll    like upper, but with standard input in non-blocking mode: first a read that
//	              finds no input (the host waits for the line it prints), then the Go runtime
//	              reads through its poller (EAGAIN, and epoll must report descriptor 0 readable)
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

func main() {
	mode := "upper"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	in := os.Stdin
	switch mode {
	case "cat":
		n, err := io.Copy(os.Stdout, in)
		fmt.Fprintf(os.Stderr, "copied %d bytes, error %v\n", n, err)
		return
	case "poll":
		if err := syscall.SetNonblock(0, true); err != nil {
			fmt.Println("set non-blocking:", err)
			os.Exit(1)
		}
		// The host sends the input only after this line: the read finds none.
		var buf [1]byte
		_, err := syscall.Read(0, buf[:])
		fmt.Println("before input:", err)
		in = os.NewFile(0, "stdin") // non-blocking: the runtime's poller waits for input
	case "upper":
	default:
		fmt.Println("usage: stdin upper|cat|poll")
		os.Exit(2)
	}
	s := bufio.NewScanner(in)
	lines := 0
	for s.Scan() {
		lines++
		fmt.Printf("%d: %s\n", lines, strings.ToUpper(s.Text()))
	}
	fmt.Printf("end of input after %d lines, error %v\n", lines, s.Err())
	os.Exit(lines)
}
