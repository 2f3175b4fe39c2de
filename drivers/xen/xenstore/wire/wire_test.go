package wire

import (
	"bytes"
	"math/rand"
	"syscall"
	"testing"
)

func hdr(t Type, req, tx, n uint32) []byte {
	b := make([]byte, HeaderSize)
	Header(b).Encode(t, req, tx, n)
	return b
}

func TestHeader(t *testing.T) {
	b := hdr(WatchEvent, 0x01020304, 7, 12)
	want := []byte{15, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 12, 0, 0, 0}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	h := Header(b)
	if h.Type() != WatchEvent || h.ReqID() != 0x01020304 || h.TxID() != 7 || h.Len() != 12 {
		t.Fatalf("decoded %v %d %d %d", h.Type(), h.ReqID(), h.TxID(), h.Len())
	}
	if WatchEvent.String() != "WATCH_EVENT" || DirectoryPart.String() != "DIRECTORY_PART" || Type(99).String() != "UNKNOWN" {
		t.Fatal("Type.String")
	}
}

func TestEncoders(t *testing.T) {
	buf := make([]byte, MaxMessage)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		got  func() ([]byte, bool)
		want []byte
	}{
		{"read", func() ([]byte, bool) { return EncodePath(buf, Read, 1, 0, "domid") },
			cat(hdr(Read, 1, 0, 6), []byte("domid\x00"))},
		{"directory in tx", func() ([]byte, bool) { return EncodePath(buf, Directory, 2, 9, "device") },
			cat(hdr(Directory, 2, 9, 7), []byte("device\x00"))},
		{"write", func() ([]byte, bool) { return EncodeWrite(buf, 3, 0, "data/exit-status", []byte("42")) },
			cat(hdr(Write, 3, 0, 19), []byte("data/exit-status\x0042"))},
		{"write empty", func() ([]byte, bool) { return EncodeWrite(buf, 4, 0, "a", nil) },
			cat(hdr(Write, 4, 0, 2), []byte("a\x00"))},
		{"watch", func() ([]byte, bool) { return EncodeWatch(buf, Watch, 5, "data", "tok") },
			cat(hdr(Watch, 5, 0, 9), []byte("data\x00tok\x00"))},
		{"unwatch", func() ([]byte, bool) { return EncodeWatch(buf, Unwatch, 6, "data", "tok") },
			cat(hdr(Unwatch, 6, 0, 9), []byte("data\x00tok\x00"))},
		{"tx start", func() ([]byte, bool) { return EncodeTransactionStart(buf, 7) },
			cat(hdr(TransactionStart, 7, 0, 1), []byte{0})},
		{"tx commit", func() ([]byte, bool) { return EncodeTransactionEnd(buf, 8, 33, true) },
			cat(hdr(TransactionEnd, 8, 33, 2), []byte("T\x00"))},
		{"tx abort", func() ([]byte, bool) { return EncodeTransactionEnd(buf, 9, 33, false) },
			cat(hdr(TransactionEnd, 9, 33, 2), []byte("F\x00"))},
	}
	for _, tt := range tests {
		got, ok := tt.got()
		if !ok || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %q (ok %v), want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestEncoderLimits(t *testing.T) {
	buf := make([]byte, MaxMessage+100)
	big := bytes.Repeat([]byte{'v'}, MaxPayload-2)
	if msg, ok := EncodeWrite(buf, 1, 0, "p", big); !ok || len(msg) != MaxMessage {
		t.Fatalf("largest WRITE: ok %v len %d", ok, len(msg))
	}
	if _, ok := EncodeWrite(buf, 1, 0, "p", append(big, 'x')); ok {
		t.Fatal("WRITE above XENSTORE_PAYLOAD_MAX accepted")
	}
	if _, ok := EncodePath(make([]byte, 20), Read, 1, 0, "toolong"); ok {
		t.Fatal("message larger than the buffer accepted")
	}
	if _, ok := EncodePath(make([]byte, 3), Read, 1, 0, ""); ok {
		t.Fatal("buffer smaller than a header accepted")
	}
}

func TestFields(t *testing.T) {
	p := []byte("vm\x00name\x00cpu\x00")
	if CountFields(p) != 3 {
		t.Fatalf("CountFields = %d", CountFields(p))
	}
	var names []string
	for rest := p; len(rest) > 0; {
		var f []byte
		f, rest, _ = NextField(rest)
		names = append(names, string(f))
	}
	if len(names) != 3 || names[0] != "vm" || names[2] != "cpu" {
		t.Fatalf("fields %q", names)
	}
	if f, r, ok := NextField([]byte("abc")); string(f) != "abc" || len(r) != 0 || ok {
		t.Fatal("NextField without NUL")
	}
	path, tok, ok := ParseWatchEvent([]byte("data/x\x00mytoken\x00"))
	if !ok || string(path) != "data/x" || string(tok) != "mytoken" {
		t.Fatalf("ParseWatchEvent = %q %q %v", path, tok, ok)
	}
	if _, _, ok := ParseWatchEvent([]byte("data/x")); ok {
		t.Fatal("ParseWatchEvent accepted a payload without token")
	}
}

func TestNumbers(t *testing.T) {
	for _, tt := range []struct {
		in string
		v  uint32
		ok bool
	}{
		{"0\x00", 0, true}, {"17\x00", 17, true}, {"4294967295", 4294967295, true},
		{"4294967296", 0, false}, {"", 0, false}, {"\x00", 0, false}, {"1a", 0, false},
		{"-1", 0, false}, {"12345678901", 0, false},
	} {
		v, ok := ParseUint([]byte(tt.in))
		if v != tt.v || ok != tt.ok {
			t.Errorf("ParseUint(%q) = %d, %v", tt.in, v, ok)
		}
	}
	var buf [20]byte
	for _, v := range []uint64{0, 7, 10, 255, 1 << 63, ^uint64(0)} {
		got := AppendUint(buf[:], v)
		if n, ok := ParseUint(got); v <= 0xffffffff && (!ok || uint64(n) != v) {
			t.Errorf("AppendUint(%d) = %q", v, got)
		}
		if v == ^uint64(0) && string(got) != "18446744073709551615" {
			t.Errorf("AppendUint(max) = %q", got)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, e := range errnos {
		if got := ParseError([]byte(e.name + "\x00")); got != e.errno {
			t.Errorf("ParseError(%s) = %v", e.name, got)
		}
		if e.name != "EQUOTA" && ErrorName(e.errno) != e.name {
			t.Errorf("ErrorName(%v) = %s", e.errno, ErrorName(e.errno))
		}
	}
	if ParseError([]byte("EWHATEVER\x00")) != syscall.EIO || ErrorName(syscall.ENOTTY) != "EIO" {
		t.Error("unknown error names")
	}
}

// stream concatenates messages as the daemon would send them.
func stream(msgs ...[]byte) []byte { return bytes.Join(msgs, nil) }

func msg(t Type, req uint32, payload string) []byte {
	return append(hdr(t, req, 0, uint32(len(payload))), payload...)
}

func TestReaderPieces(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), MaxPayload/16)
	in := stream(
		msg(Read, 1, "value"),
		msg(WatchEvent, 0, "data/x\x00tok\x00"),
		msg(Write, 2, "OK\x00"),
		msg(Read, 3, ""),
		msg(Read, 4, string(big)),
		msg(Error, 5, "ENOENT\x00"),
	)
	want := []struct {
		typ     Type
		req     uint32
		payload string
	}{
		{Read, 1, "value"}, {WatchEvent, 0, "data/x\x00tok\x00"}, {Write, 2, "OK\x00"},
		{Read, 3, ""}, {Read, 4, string(big)}, {Error, 5, "ENOENT\x00"},
	}
	rng := rand.New(rand.NewSource(1))
	for _, chunk := range []int{1, 2, 7, 16, 17, 1024, len(in), -1} {
		var r Reader
		p := in
		var got int
		for len(p) > 0 {
			n := chunk
			if n < 0 {
				n = 1 + rng.Intn(300)
			}
			if n > len(p) {
				n = len(p)
			}
			piece := p[:n]
			p = p[n:]
			for len(piece) > 0 || r.Complete() {
				k, err := r.Feed(piece)
				if err != 0 {
					t.Fatalf("chunk %d: Feed: %v", chunk, err)
				}
				piece = piece[k:]
				if r.Complete() {
					h, pl := r.Message()
					w := want[got]
					if h.Type() != w.typ || h.ReqID() != w.req || string(pl) != w.payload {
						t.Fatalf("chunk %d: message %d = %v %d %q", chunk, got, h.Type(), h.ReqID(), pl)
					}
					got++
					r.Reset()
				}
			}
		}
		if got != len(want) || r.Started() {
			t.Fatalf("chunk %d: %d messages, started %v", chunk, got, r.Started())
		}
	}
}

func TestReaderOversize(t *testing.T) {
	var r Reader
	if _, err := r.Feed(hdr(Read, 1, 0, MaxPayload+1)); err != syscall.EIO {
		t.Fatalf("oversized payload: err %v", err)
	}
	if len(r.Want()) != 0 || r.Complete() || r.Err() != syscall.EIO {
		t.Fatal("broken reader still wants bytes")
	}
	r.Reset()
	if _, err := r.Feed(msg(Read, 2, "ok")); err != 0 || !r.Complete() {
		t.Fatal("Reset did not recover")
	}
}

// TestReaderRestore: a consumer whose count lagged the stream (bytes in the buffer, Filled not
// called) restores the count and reads on.
func TestReaderRestore(t *testing.T) {
	m := msg(Read, 7, "value")
	var r Reader
	copy(r.Want(), m[:HeaderSize]) // the header taken, Filled never called
	if e := r.Restore(HeaderSize); e != 0 || r.Len() != HeaderSize || r.Complete() {
		t.Fatalf("Restore(header) = %v, len %d, complete %v", e, r.Len(), r.Complete())
	}
	copy(r.Want(), m[HeaderSize:HeaderSize+2])
	if e := r.Restore(HeaderSize + 2); e != 0 {
		t.Fatal(e)
	}
	if n, e := r.Feed(m[HeaderSize+2:]); e != 0 || n != len(m)-HeaderSize-2 || !r.Complete() {
		t.Fatalf("Feed after Restore = %d, %v, complete %v", n, e, r.Complete())
	}
	if h, pl := r.Message(); h.ReqID() != 7 || string(pl) != "value" {
		t.Fatalf("message %d %q", h.ReqID(), pl)
	}
	for _, n := range []int{len(m) + 1, -1, MaxMessage + 1} {
		if e := r.Restore(n); e != syscall.EIO || len(r.Want()) != 0 {
			t.Errorf("Restore(%d) = %v, want EIO and a broken reader", n, e)
		}
	}
	r.Reset()
	copy(r.Want(), hdr(Read, 1, 0, MaxPayload+1))
	if e := r.Restore(HeaderSize); e != syscall.EIO {
		t.Errorf("Restore over an oversized header = %v, want EIO", e)
	}
	if e := r.Restore(0); e != 0 || r.Started() {
		t.Errorf("Restore(0) = %v, started %v", e, r.Started())
	}
}

func TestNoAllocations(t *testing.T) {
	buf := make([]byte, MaxMessage)
	var r Reader
	in := msg(Write, 2, "OK\x00")
	allocs := testing.AllocsPerRun(100, func() {
		EncodeWrite(buf, 1, 0, "data/exit-status", []byte("3"))
		EncodeWatch(buf, Watch, 2, "data", "t")
		r.Reset()
		r.Feed(in)
		_, pl := r.Message()
		ParseError(pl)
		ParseUint([]byte("12"))
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
