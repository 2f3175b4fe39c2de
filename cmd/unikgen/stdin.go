// This file implements what "unikgen run" gives the program as its standard input: unikgen's
// own, to the end (docs/libos.md, "Console").

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

// programInput returns unikgen's standard input for a QEMU run, which internal/host/qemu passes to the
// guest (QEMU itself never reads a terminal: it runs in a process group of its own and would be
// stopped by SIGTTIN). On a terminal unikgen ignores SIGTTIN itself, so that a unikgen run in the
// background keeps running: its reads then fail with EIO and it retries until it is in the
// foreground again, as a stopped job would continue.
func programInput() io.Reader {
	if !isTerminal(os.Stdin) {
		return os.Stdin
	}
	signal.Ignore(syscall.SIGTTIN)
	return terminalReader{os.Stdin}
}

// terminalReader reads a terminal, waiting while unikgen is in a background process group.
type terminalReader struct{ f *os.File }

func (r terminalReader) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if errors.Is(err, syscall.EIO) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		return n, err
	}
}

// isTerminal reports whether f is a terminal (it answers TCGETS).
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return e == 0
}

// maxXenInput bounds the standard input of a -target xen run, which the harness carries in dom0's
// memory.
const maxXenInput = 16 << 20

// xenInput returns the program's standard input for a -target xen run: unikgen's, read to the
// end before the boot (the harness writes it to the domain's console once it runs). A terminal
// gives none: the program reads end of file, as it does without input.
func xenInput() ([]byte, error) {
	if isTerminal(os.Stdin) {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, maxXenInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	if len(b) > maxXenInput {
		return nil, fmt.Errorf("-target xen takes at most %d MiB of standard input (the harness holds it in dom0's memory)", maxXenInput>>20)
	}
	return b, nil
}
