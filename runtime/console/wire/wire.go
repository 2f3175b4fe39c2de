// Package wire is the byte format of console input, between the host that feeds a kernel's
// standard input (unikgen run, internal/host/qemu, internal/host/xenlab) and the kernel (runtime/console),
// over a serial line (QEMU's 16550 UART) or the Xen PV console's input ring.
//
// Neither line can say "end of input": a byte stream over a UART or a console ring has no end.
// So the host marks it in the stream, in the manner of telnet's IAC (RFC 854): the byte 0xFF
// (Esc) starts a two-byte sequence, and every other byte is data.
//
//	Esc Esc    one data byte 0xFF
//	Esc 0x04   end of input: reads return end of file from then on; bytes after it are ignored
//	Esc 0x01   start of input: input received before it and not yet read is discarded
//	Esc X      any other X: the two data bytes Esc X (reserved; a sender escapes every 0xFF)
//
// A host stream is Preamble (padding, then the start mark), the encoded data, then the end mark
// (Encoder). The preamble is there because a UART can lose the first byte or two a host sends
// before the kernel has set it up: QEMU holds one received byte in the 16550's receive buffer
// register until the kernel switches the UART to FIFO mode, which drops it. Whatever the UART
// kept of the padding is then discarded by the start mark, so the program's input is exactly
// what the host sent, lost bytes or not.
//
// A person typing into a kernel's serial console (QEMU -serial stdio on a terminal) never sends
// 0xFF in UTF-8 text, so unencoded typing reads as typed; unencoded binary input must escape
// its 0xFF bytes.
//
// The Decoder is used in kernel context: it does not allocate and holds no pointers. The
// encoding side (Encode, Encoder, Copy) is for hosts.
package wire

import "io"

// Esc starts a two-byte sequence.
const Esc = 0xFF

// The second byte of the sequences that are not data.
const (
	CodeStart = 0x01 // start of input
	CodeEnd   = 0x04 // end of input (ASCII EOT)
)

// Start and End are the start and end marks.
const (
	Start = "\xff\x01"
	End   = "\xff\x04"
)

// Preamble begins every host stream: padding that a UART may lose part of at boot, then the
// start mark, which discards whatever the UART kept of the padding.
const Preamble = "\x00\x00\x00\x00" + Start

// A Decoder turns a stream of console input into data, start marks and the end mark. Its zero
// value is ready at the start of a stream.
type Decoder struct {
	esc bool // the last byte was Esc
	end bool // the end mark has been decoded
}

// Result is what one call of Decode found besides data.
type Result uint8

// Decode results.
const (
	Data  Result = iota // data only
	Reset               // a start mark: the data before it in dst (nDst bytes) is to be discarded
	Ended               // the end mark: no data follows, ever
)

// Decode decodes src into dst and returns the bytes written to dst and read from src. It stops
// after a start mark (Reset: the caller discards dst[:nDst] and whatever it had buffered before),
// at the end mark (Ended: the rest of src is read and dropped, as is every byte later), when dst has less than 2 bytes of room (one source byte can yield
// two data bytes), or at the end of src.
func (d *Decoder) Decode(dst, src []byte) (nDst, nSrc int, r Result) {
	if d.end {
		return 0, len(src), Ended
	}
	for nSrc < len(src) && len(dst)-nDst >= 2 {
		c := src[nSrc]
		nSrc++
		if !d.esc {
			if c == Esc {
				d.esc = true
				continue
			}
			dst[nDst] = c
			nDst++
			continue
		}
		d.esc = false
		switch c {
		case Esc:
			dst[nDst] = Esc
			nDst++
		case CodeStart:
			return nDst, nSrc, Reset
		case CodeEnd:
			d.end = true
			return nDst, len(src), Ended
		default:
			dst[nDst], dst[nDst+1] = Esc, c
			nDst += 2
		}
	}
	return nDst, nSrc, Data
}

// Ended reports whether the end mark has been decoded.
func (d *Decoder) Ended() bool { return d.end }

// Encode appends the encoding of data to dst (each 0xFF doubled) and returns the result.
func Encode(dst, data []byte) []byte {
	for _, c := range data {
		if c == Esc {
			dst = append(dst, Esc)
		}
		dst = append(dst, c)
	}
	return dst
}

// An Encoder writes a host stream to W: the preamble before the first data, the data encoded,
// and the end mark on Close.
type Encoder struct {
	W       io.Writer
	started bool
	buf     []byte
}

func (e *Encoder) start() error {
	if e.started {
		return nil
	}
	e.started = true
	_, err := io.WriteString(e.W, Preamble)
	return err
}

// Write encodes p and writes it.
func (e *Encoder) Write(p []byte) (int, error) {
	if err := e.start(); err != nil {
		return 0, err
	}
	e.buf = Encode(e.buf[:0], p)
	if _, err := e.W.Write(e.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes the end mark (after the preamble, if nothing was written). It does not close W.
func (e *Encoder) Close() error {
	if err := e.start(); err != nil {
		return err
	}
	_, err := io.WriteString(e.W, End)
	return err
}

// Copy writes the host stream of r's bytes to w: the preamble, r's bytes encoded as they come,
// and the end mark when r reaches end of file. A read error other than io.EOF ends the stream
// without the end mark and is returned.
func Copy(w io.Writer, r io.Reader) error {
	e := &Encoder{W: w}
	if err := e.start(); err != nil {
		return err
	}
	if r != nil {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := e.Write(buf[:n]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return e.Close()
}

// Stream returns the whole host stream of data: Preamble, data encoded, End.
func Stream(data []byte) []byte {
	b := append([]byte(Preamble), Encode(nil, data)...)
	return append(b, End...)
}
