package wire

import (
	"bytes"
	"syscall"
	"testing"
)

// message is one message the Reader delivered, or the error that broke it.
type message struct {
	hdr     [HeaderSize]byte
	payload []byte
	err     syscall.Errno
}

// readAll feeds stream to a Reader in pieces whose sizes come from cuts (a piece of 1 to 256
// bytes per byte of cuts, then the rest at once) and returns the messages it delivers, in order.
func readAll(t *testing.T, stream, cuts []byte) []message {
	var r Reader
	var out []message
	take := func(p []byte) {
		for len(p) > 0 {
			k, err := r.Feed(p)
			if k < 0 || k > len(p) {
				t.Fatalf("Feed took %d of %d bytes", k, len(p))
			}
			p = p[k:]
			if err != 0 {
				out = append(out, message{err: err})
				r.Reset() // as the xenstore client does after a protocol error
				continue
			}
			if r.Complete() {
				h, payload := r.Message()
				if len(payload) != int(h.Len()) || h.Len() > MaxPayload {
					t.Fatalf("message of %d payload bytes, header says %d", len(payload), h.Len())
				}
				var m message
				copy(m.hdr[:], h)
				m.payload = append([]byte(nil), payload...)
				out = append(out, m)
				r.Reset()
			} else if k == 0 {
				t.Fatalf("Feed took nothing from %d bytes of an incomplete message", len(p))
			}
		}
	}
	for _, c := range cuts {
		n := min(int(c)+1, len(stream))
		take(stream[:n])
		stream = stream[n:]
	}
	take(stream)
	return out
}

// FuzzReader reassembles a byte stream from the xenstore ring into messages, in arbitrary pieces:
// the messages must not depend on how the stream was cut, each must match its header, and a
// header announcing more than MaxPayload must be refused with EIO. The payload parsers must
// accept any payload.
func FuzzReader(f *testing.F) {
	buf := make([]byte, MaxMessage)
	seed := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	m1, _ := EncodeWatch(buf, Watch, 5, "data", "tok")
	s := append([]byte(nil), m1...)
	m2, _ := EncodeWrite(buf, 3, 0, "data/exit-status", []byte("42"))
	s = append(s, m2...)
	f.Add(s, []byte{0, 3, 15, 16})
	h := make([]byte, HeaderSize)
	Header(h).Encode(WatchEvent, 0, 0, 9)
	f.Add(seed(h, []byte("data\x00tok\x00")), []byte{})
	Header(h).Encode(Error, 1, 0, 7)
	f.Add(seed(h, []byte("ENOENT\x00")), []byte{1})
	Header(h).Encode(Read, 1, 0, MaxPayload+1)
	f.Add(seed(h, []byte("too long")), []byte{2, 2})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		whole := readAll(t, stream, nil)
		pieces := readAll(t, stream, cuts)
		if len(whole) != len(pieces) {
			t.Fatalf("%d messages read at once, %d in pieces", len(whole), len(pieces))
		}
		for i := range whole {
			a, b := whole[i], pieces[i]
			if a.err != b.err || a.hdr != b.hdr || !bytes.Equal(a.payload, b.payload) {
				t.Fatalf("message %d differs: at once %+v, in pieces %+v", i, a, b)
			}
			if a.err != 0 {
				if a.err != syscall.EIO {
					t.Fatalf("message %d: error %v, want EIO", i, a.err)
				}
				continue
			}
			p := a.payload
			ParseError(p)
			ParseWatchEvent(p)
			CountFields(p)
			if v, ok := ParseUint(p); ok {
				if got, _ := ParseUint(AppendUint(make([]byte, 20), uint64(v))); got != v {
					t.Fatalf("ParseUint(AppendUint(%d)) = %d", v, got)
				}
			}
			for rest := p; len(rest) > 0; {
				field, r, _ := NextField(rest)
				if len(r) >= len(rest) || len(field) > len(rest) {
					t.Fatalf("NextField(%q) = %q, %q: no progress", rest, field, r)
				}
				rest = r
			}
		}
	})
}

// FuzzWatchEvent encodes a watch path and token and parses them back as a WATCH_EVENT payload.
func FuzzWatchEvent(f *testing.F) {
	f.Add("data/exit-status", "tok")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, path, token string) {
		buf := make([]byte, MaxMessage)
		msg, ok := EncodeWatch(buf, Watch, 1, path, token)
		if !ok {
			if len(path)+len(token)+2 <= MaxPayload {
				t.Fatalf("EncodeWatch refused %d + %d bytes", len(path), len(token))
			}
			return
		}
		if bytes.IndexByte([]byte(path+token), 0) >= 0 {
			return // a NUL inside a field: not a message a daemon sends
		}
		p, tok, ok := ParseWatchEvent(msg[HeaderSize:])
		if !ok || string(p) != path || string(tok) != token {
			t.Fatalf("ParseWatchEvent(%q) = %q, %q, %v; want %q, %q", msg[HeaderSize:], p, tok, ok, path, token)
		}
	})
}
