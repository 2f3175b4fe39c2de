// This file implements the streaming message reader.

package wire

import "syscall"

// Reader reassembles one message at a time from a byte stream that arrives in pieces (the
// xenstore response ring). It is a fixed-size value without pointers, fit for a package-level
// variable in kernel code.
//
// Loop: fill Want() with the next bytes of the stream, report them with Filled; once Complete,
// use Message and then Reset for the next one.
type Reader struct {
	buf [MaxMessage]byte
	n   int
	err syscall.Errno
}

// Want returns the buffer space for the next bytes of the stream: the rest of the header, then the
// rest of the payload. It is empty once the message is complete (or broken).
func (r *Reader) Want() []byte {
	if r.err != 0 {
		return nil
	}
	if r.n < HeaderSize {
		return r.buf[r.n:HeaderSize]
	}
	return r.buf[r.n : HeaderSize+int(Header(r.buf[:]).Len())]
}

// Filled records that k bytes were stored at the start of Want(). It returns EIO, and the Reader
// stays broken until Reset, if the header announces a payload above MaxPayload.
func (r *Reader) Filled(k int) syscall.Errno {
	r.n += k
	if r.n == HeaderSize && Header(r.buf[:]).Len() > MaxPayload {
		r.err = syscall.EIO
	}
	return r.err
}

// Feed copies as much of p as the current message needs and returns how many bytes it took.
func (r *Reader) Feed(p []byte) (int, syscall.Errno) {
	total := 0
	for len(p) > 0 {
		w := r.Want()
		if len(w) == 0 {
			break
		}
		k := copy(w, p)
		p = p[k:]
		total += k
		if err := r.Filled(k); err != 0 {
			return total, err
		}
	}
	return total, r.err
}

// Started reports whether any byte of the current message arrived.
func (r *Reader) Started() bool { return r.n > 0 }

// Complete reports whether a whole message is buffered.
func (r *Reader) Complete() bool {
	return r.err == 0 && r.n >= HeaderSize && r.n == HeaderSize+int(Header(r.buf[:]).Len())
}

// Message returns the buffered message's header and payload; they stay valid until Reset.
func (r *Reader) Message() (Header, []byte) {
	return Header(r.buf[:HeaderSize]), r.buf[HeaderSize:r.n]
}

// Err returns the Reader's error (0 when healthy).
func (r *Reader) Err() syscall.Errno { return r.err }

// Reset discards the message and clears any error.
func (r *Reader) Reset() { r.n, r.err = 0, 0 }

// Len returns how many bytes of the current message are buffered.
func (r *Reader) Len() int { return r.n }

// Restore says that the first n bytes of the buffer hold the current message's first n bytes,
// whatever Filled was told: for a consumer whose own count may lag the stream (it was stopped
// between taking bytes and calling Filled). It returns EIO, and the Reader is broken until
// Reset, when n is more than a message can be or more than the header announces.
func (r *Reader) Restore(n int) syscall.Errno {
	r.n, r.err = n, 0
	switch {
	case n < 0 || n > MaxMessage:
		r.n, r.err = 0, syscall.EIO
	case n >= HeaderSize && (Header(r.buf[:]).Len() > MaxPayload || n > HeaderSize+int(Header(r.buf[:]).Len())):
		r.err = syscall.EIO
	}
	return r.err
}
