package boottest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/consoletest"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// TestStdin feeds a kernel's standard input from the host (internal/host/qemu sends it to the UART,
// encoded, with the end mark after the last byte) and checks what the program made of it and
// its exit status (the number of lines it read): lines, end of file, no input at all, binary
// input larger than the kernel's input buffer, and non-blocking reads through the Go runtime's
// poller, which needs EAGAIN and epoll.
func TestStdin(t *testing.T) {
	testenv.NeedBoot(t, "boots kernels")
	binary := make([]byte, 200<<10) // every byte value, runs of 0xFF, and the marks' bytes
	for i := range binary {
		binary[i] = byte(i * 131 >> 3)
		if i%1000 < 40 {
			binary[i] = 0xff
		}
	}
	copy(binary[5000:], "\xff\x04\xff\x01\x04\x01")
	for _, c := range []struct {
		name    string
		machine string
		args    []string
		input   []byte // nil: no input
		gated   bool   // the input waits until the program says "before input:"
		status  int
		want    string
	}{
		{name: "lines", args: []string{"upper"}, input: []byte("hello\nworld \xc3\xbf\nno newline at the end"), status: 3,
			want: "1: HELLO\n2: " + strings.ToUpper("world \xc3\xbf") + "\n3: NO NEWLINE AT THE END\nend of input after 3 lines, error <nil>\n"},
		{name: "lines-q35", machine: qemu.Q35, args: []string{"upper"}, input: []byte("a\nb\n"), status: 2,
			want: "1: A\n2: B\nend of input after 2 lines, error <nil>\n"},
		{name: "empty", args: []string{"upper"}, input: []byte{}, status: 0,
			want: "end of input after 0 lines, error <nil>\n"},
		{name: "no-input", args: []string{"upper"}, status: 0, want: "end of input after 0 lines, error <nil>\n"},
		{name: "binary", args: []string{"cat"}, input: binary, status: 0,
			want: string(binary) + fmt.Sprintf("copied %d bytes, error <nil>\n", len(binary))},
		{name: "nonblocking", args: []string{"poll"}, input: []byte("x\ny\n"), gated: true, status: 2,
			want: "before input: resource temporarily unavailable\n1: X\n2: Y\nend of input after 2 lines, error <nil>\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			img := kernel(t, "internal/boottest/testdata/stdin")
			console := &watchWriter{pattern: "before input:", seen: make(chan struct{})}
			cfg := qemu.Config{Kernel: img, Machine: c.machine, Args: c.args, Console: console, Timeout: 180 * time.Second}
			if c.input != nil {
				cfg.Stdin = bytes.NewReader(c.input)
				if c.gated {
					cfg.Stdin = &gatedReader{gate: console.seen, r: cfg.Stdin}
				}
			}
			res, err := qemu.Run(context.Background(), cfg)
			out := console.String()
			if err != nil {
				t.Fatalf("%v; console:\n%s", err, out)
			}
			if res.Status != c.status || out != c.want {
				if len(out) > 2000 {
					out = out[:1000] + "\n[...]\n" + out[len(out)-1000:]
				}
				t.Errorf("status %d, want %d; console (%d bytes):\n%s", res.Status, c.status, len(console.String()), out)
			}
		})
	}
}

// watchWriter collects the console and closes seen once pattern appears in it.
type watchWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	pattern string
	seen    chan struct{}
	closed  bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), w.pattern) {
		w.closed = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// gatedReader reads r once gate is closed.
type gatedReader struct {
	gate <-chan struct{}
	r    io.Reader
}

func (g *gatedReader) Read(p []byte) (int, error) {
	<-g.gate
	return g.r.Read(p)
}

// slowWriter passes writes on to w, sleeping before each: a host that reads its console slowly,
// so that QEMU's pipe fills and the virtio console holds the guest's buffers.
type slowWriter struct {
	w     io.Writer
	delay time.Duration
}

func (s *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.w.Write(p)
}

// TestConsoleOutput writes 10 MB through the virtio console, one write(2) per 100-byte line,
// and checks that it arrives complete and in order, then the program's last line on standard
// error and its exit status; it measures the throughput against the UART's (0.5 MB, the console
// before the virtio console) and wants at least 5 times it (docs/benchmarks.md has the numbers:
// about 20 times). On q35 (virtio-pci, MSI-X) 2 MB.
func TestConsoleOutput(t *testing.T) {
	testenv.NeedBoot(t, "boots kernels")
	img := specialised(t, "internal/boottest/testdata/bigoutput")
	run := func(t *testing.T, bytes int, machine string, serial bool) time.Duration {
		check := &consoletest.Checker{Lines: bytes / consoletest.LineSize}
		res, err := qemu.Run(context.Background(), qemu.Config{Kernel: img, Machine: machine,
			Args: consoletest.Args(bytes, "lines"), Console: check, SerialOutput: serial, Timeout: 300 * time.Second})
		if err != nil {
			t.Fatalf("%v; output ends with %q", err, check.Tail())
		}
		if err := check.Err(); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("bigoutput: wrote %d bytes\n", bytes)
		if res.Status != 0 || check.Tail() != want {
			t.Fatalf("status %d, after the lines %q; want 0, %q", res.Status, check.Tail(), want)
		}
		return res.Wall
	}
	t.Run("q35", func(t *testing.T) {
		d := run(t, 2e6, qemu.Q35, false)
		t.Logf("2 MB through the virtio console (virtio-pci) in %v", d.Round(time.Millisecond))
	})
	boot := run(t, 0, qemu.MicroVM, false)
	virtio := run(t, 10e6, qemu.MicroVM, false) - boot
	serial := run(t, 0.5e6, qemu.MicroVM, true) - boot
	vRate, sRate := 10e6/virtio.Seconds()/1e6, 0.5e6/serial.Seconds()/1e6
	t.Logf("virtio console %.2f MB/s (10 MB in %v), UART %.2f MB/s (0.5 MB in %v), boot %v: %.1f times",
		vRate, virtio.Round(time.Millisecond), sRate, serial.Round(time.Millisecond), boot.Round(time.Millisecond), vRate/sRate)
	if vRate < 5*sRate {
		t.Errorf("the virtio console is only %.1f times as fast as the UART", vRate/sRate)
	}
}

// TestConsoleOrder checks that kernel messages, which go to the UART, come after the program's
// output, which goes to the virtio console, even when the host reads slowly and QEMU holds the
// program's last buffers: the program writes 300 KB, then makes the kernel fault (write(2) from
// page 0); the kernel's report must follow the last line. And the exit waits for the output:
// 1 MB written just before exit arrives whole.
func TestConsoleOrder(t *testing.T) {
	testenv.NeedBoot(t, "boots kernels")
	img := specialised(t, "internal/boottest/testdata/bigoutput")
	for _, c := range []struct {
		name   string
		bytes  int
		mode   string
		status int
		tail   string // what must follow the lines
	}{
		{"fault", 300e3, "fault", 2, "unexpected fault address 0x8\nunikgen: page fault in kernel"},
		{"exit", 1e6, "blocks", 0, "bigoutput: wrote 1000000 bytes\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			check := &consoletest.Checker{Lines: c.bytes / consoletest.LineSize}
			res, err := qemu.Run(context.Background(), qemu.Config{Kernel: img, Args: consoletest.Args(c.bytes, c.mode),
				Console: &slowWriter{w: check, delay: 20 * time.Millisecond}, Timeout: 300 * time.Second})
			if err != nil {
				t.Fatalf("%v; output ends with %q", err, check.Tail())
			}
			if err := check.Err(); err != nil {
				t.Fatalf("%v; then %q", err, check.Tail())
			}
			if res.Status != c.status || !strings.HasPrefix(check.Tail(), c.tail) {
				t.Errorf("status %d, after the lines %q; want %d, %q first", res.Status, check.Tail(), c.status, c.tail)
			}
		})
	}
}
