package console

import (
	"bytes"
	"testing"

	"github.com/unikgen/unikgen/runtime/console/wire"
)

// FuzzInput runs a host stream through the kernel's input path as a device and a program would:
// the device's interrupt hands over chunks of any size (Feed), the program reads with buffers of
// any size, and the device is asked for more when a read made room (pull). Whatever the data (any
// bytes, repeated to overflow the buffer) and however much of the preamble the UART lost, the
// program must read exactly the data, then end of file; a read that returns nothing without end
// of file while the device holds nothing more would wait forever.
func FuzzInput(f *testing.F) {
	f.Add([]byte("hello\n"), uint8(1), uint8(14), uint16(5), uint8(0))
	f.Add([]byte("\xff\xff\x04\xff\x01 escapes"), uint8(200), uint8(3), uint16(4000), uint8(2))
	f.Add([]byte{}, uint8(0), uint8(255), uint16(1), uint8(4))
	f.Fuzz(func(t *testing.T, unit []byte, repeat, chunk uint8, readSize uint16, lost uint8) {
		data := bytes.Repeat(unit, int(repeat)+1)
		stream := wire.Stream(data)[int(lost)%5:]
		c := int(chunk)%64 + 1
		d, _ := setup(t, stream)
		interrupt := func() { // one receive interrupt: the device hands over what the console takes
			if len(d.pending) > 0 && Room() >= 2 {
				n := Feed(d.pending[:min(len(d.pending), c)])
				d.pending = d.pending[n:]
			}
		}
		SetInput(interrupt)
		buf := make([]byte, int(readSize)%(2*InputSize)+1)
		var got []byte
		for {
			n, eof := Read(buf)
			if n > 0 && eof {
				t.Fatalf("Read returned %d bytes and end of file", n)
			}
			if n == 0 && Readable() != eof {
				t.Fatalf("Read returned %d, eof %v but Readable says %v", n, eof, Readable())
			}
			got = append(got, buf[:n]...)
			if eof {
				break
			}
			if n == 0 {
				if len(d.pending) == 0 {
					t.Fatalf("read %d of %d bytes, then nothing and no end of file with all input fed", len(got), len(data))
				}
				interrupt()
			}
			if len(got) > len(data) {
				t.Fatalf("read %d bytes, more than the %d sent", len(got), len(data))
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes that differ from the %d sent", len(got), len(data))
		}
		if n, eof := Read(buf); n != 0 || !eof {
			t.Fatalf("Read after end of file = %d, %v", n, eof)
		}
	})
}
