// Command pipe uses pipes as Go programs do: os.Pipe between goroutines (through the netpoller),
// end of file after the writer closes, EPIPE after the reader closes, a read deadline, and a
// blocking raw pipe2 read that a later write wakes. Its output is checked by internal/boottest
// (the same under QEMU and natively on Linux).
package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/internal/bootcases/payload"
)

func main() {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("pipe:", err)
		os.Exit(1)
	}
	fi, err := r.Stat()
	fmt.Println("named pipe:", err == nil && fi.Mode()&os.ModeNamedPipe != 0)

	// 1 MiB in writes of uneven sizes, more than the pipe holds: the writer waits for the reader.
	data := payload.Bytes(7, 1<<20)
	go func() {
		for off, k := 0, 1; off < len(data); k++ {
			n := min(len(data)-off, k*7919%100000+1)
			if _, err := w.Write(data[off : off+n]); err != nil {
				fmt.Println("write:", err)
				break
			}
			off += n
		}
		w.Close()
	}()
	got, err := io.ReadAll(r)
	fmt.Printf("transfer: %d bytes, same: %v, %v\n", len(got), sha256.Sum256(got) == sha256.Sum256(data), err)
	r.Close()

	// A read deadline on an empty pipe.
	r, w, _ = os.Pipe()
	r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = r.Read(make([]byte, 1))
	fmt.Println("read deadline:", errors.Is(err, os.ErrDeadlineExceeded))

	// No reader: the write fails with EPIPE.
	r.Close()
	_, err = w.Write([]byte("x"))
	fmt.Println("write without a reader:", errors.Is(err, syscall.EPIPE))
	w.Close()

	// A blocking descriptor (no O_NONBLOCK, not in the netpoller): the read waits for the write.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		fmt.Println("pipe2:", err)
		os.Exit(1)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		syscall.Write(p[1], []byte("late"))
		syscall.Close(p[1])
	}()
	buf := make([]byte, 16)
	n, err := syscall.Read(p[0], buf)
	fmt.Printf("blocking read: %q %v\n", buf[:n], err)
	n, err = syscall.Read(p[0], buf)
	fmt.Printf("after the writer closed: %d %v\n", n, err)
	syscall.Close(p[0])
}
