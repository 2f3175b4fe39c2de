package main

import (
	"log"
	"os"

	"github.com/unikgen/unikgen/internal/symbolize"
)

// tail keeps the last max bytes written to it: the end of the console output, where a kernel
// fault report is.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// reportKernelFault prints, on standard error, the stack trace of a kernel fault report found in
// the console output, resolved against the image: the kernel itself can only print addresses.
func reportKernelFault(image string, console []byte) {
	s, err := symbolize.Report(image, console)
	if err != nil {
		log.Printf("cannot resolve the kernel's stack trace: %v", err)
		return
	}
	if s != "" {
		os.Stderr.WriteString("unikgen: kernel stack trace:\n" + s)
	}
}
