package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// decodeAll decodes stream in pieces of at most chunk bytes into a buffer of room bytes at a
// time, applying start marks, and returns the data and whether the end mark came.
func decodeAll(stream []byte, chunk, room int) ([]byte, bool) {
	var d Decoder
	var out []byte
	buf := make([]byte, room)
	for len(stream) > 0 {
		n := min(chunk, len(stream))
		src := stream[:n]
		for len(src) > 0 {
			nd, ns, r := d.Decode(buf, src)
			out = append(out, buf[:nd]...)
			src = src[ns:]
			switch r {
			case Reset:
				out = out[:0]
			case Ended:
				if len(src) != 0 {
					panic("Decode left bytes after the end mark")
				}
			}
			if ns == 0 && nd == 0 && r == Data {
				panic("no progress")
			}
		}
		stream = stream[n:]
	}
	return out, d.Ended()
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		name   string
		stream string
		want   string
		ended  bool
	}{
		{"plain", "hello\n", "hello\n", false},
		{"escaped esc", "a\xff\xffb", "a\xffb", false},
		{"end", "abc\xff\x04", "abc", true},
		{"after end ignored", "abc\xff\x04def\xff\xff", "abc", true},
		{"start discards", "junk\xff\x01data", "data", false},
		{"lone esc pending", "ab\xff", "ab", false},
		{"unknown escape is data", "a\xff\x41b", "a\xff\x41b", false},
		{"preamble", Preamble + "x", "x", false},
		{"preamble missing its first bytes", Preamble[2:] + "x", "x", false},
		{"whole stream", string(Stream([]byte("hi\xff\n"))), "hi\xff\n", true},
		{"empty stream", string(Stream(nil)), "", true},
	} {
		for _, chunk := range []int{1, 2, 3, 1000} {
			for _, room := range []int{2, 3, 64} {
				got, ended := decodeAll([]byte(tt.stream), chunk, room)
				if string(got) != tt.want || ended != tt.ended {
					t.Errorf("%s (chunk %d, room %d): got %q ended %v, want %q ended %v",
						tt.name, chunk, room, got, ended, tt.want, tt.ended)
				}
			}
		}
	}
}

// TestDecodeSmallRoom checks that Decode takes nothing when dst has less than two bytes of room.
func TestDecodeSmallRoom(t *testing.T) {
	var d Decoder
	nd, ns, r := d.Decode(make([]byte, 1), []byte("abc"))
	if nd != 0 || ns != 0 || r != Data {
		t.Errorf("Decode with one byte of room = %d, %d, %v; want 0, 0, Data", nd, ns, r)
	}
}

func TestCopy(t *testing.T) {
	data := []byte("line 1\n\xff\xfe line 2\n")
	var w bytes.Buffer
	if err := Copy(&w, iotest.OneByteReader(bytes.NewReader(data))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), Stream(data)) {
		t.Errorf("Copy wrote %q, want %q", w.Bytes(), Stream(data))
	}
	w.Reset()
	if err := Copy(&w, nil); err != nil || w.String() != Preamble+End {
		t.Errorf("Copy of no reader wrote %q, %v; want the preamble and the end mark", w.String(), err)
	}
	w.Reset()
	boom := errors.New("boom")
	if err := Copy(&w, io.MultiReader(bytes.NewReader([]byte("ab")), iotest.ErrReader(boom))); err != boom {
		t.Errorf("Copy of a failing reader: %v, want %v", err, boom)
	}
	if w.String() != Preamble+"ab" {
		t.Errorf("Copy of a failing reader wrote %q, want the data without the end mark", w.String())
	}
}

// FuzzRoundTrip checks that whatever the data, however the stream is cut into pieces and
// however little room the decoder gets, the kernel reads exactly the data and then end of file,
// also when the UART lost up to four bytes of the preamble.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello\n"), uint8(1), uint8(2), uint8(0))
	f.Add([]byte("\xff\xff\x04\xff\x01"), uint8(3), uint8(5), uint8(1))
	f.Add([]byte{}, uint8(7), uint8(64), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, chunk, room, lost uint8) {
		stream := Stream(data)
		stream = stream[min(int(lost)%5, 4):]
		got, ended := decodeAll(stream, int(chunk)%16+1, int(room)%64+2)
		if !bytes.Equal(got, data) || !ended {
			t.Fatalf("decoded %q (ended %v), want %q", got, ended, data)
		}
	})
}

// FuzzDecode feeds arbitrary bytes: Decode must make progress, never write more than two bytes
// per byte read, and read nothing after the end mark.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("\xff\x04abc"), uint8(2))
	f.Add([]byte("\xff\xff\xff"), uint8(2))
	f.Add([]byte("x\xff\x01y\xff\x42"), uint8(3))
	f.Fuzz(func(t *testing.T, src []byte, room uint8) {
		var d Decoder
		dst := make([]byte, int(room)%32+2)
		for len(src) > 0 {
			nd, ns, r := d.Decode(dst, src)
			if ns == 0 || ns > len(src) || nd > 2*ns || nd > len(dst) {
				t.Fatalf("Decode(%q) = %d, %d, %v", src, nd, ns, r)
			}
			if r == Ended && ns != len(src) && !d.Ended() {
				t.Fatalf("end mark without Ended")
			}
			src = src[ns:]
		}
	})
}
