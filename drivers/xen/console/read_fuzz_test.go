package console

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// FuzzRead drives the input ring's consumer with whatever the backend (a peer the kernel does not
// trust) may leave in the shared page: any ring contents and any pair of indices, sane (the
// producer at most InSize ahead) or not. Read must return at most len(b) and at most InSize
// bytes, copy them from the ring in order starting at in_cons (wrapping), advance in_cons by
// exactly what it returned, and, when the indices are sane, return everything waiting that fits.
func FuzzRead(f *testing.F) {
	f.Add(uint32(0), uint32(5), []byte("hello"), uint16(64))
	f.Add(uint32(0xfffffff0), uint32(0x20), []byte("wraps around the end of the index space"), uint16(7))
	f.Add(uint32(1000), uint32(3), []byte("producer behind the consumer"), uint16(2000))
	f.Add(uint32(5), uint32(5000), []byte("producer far ahead"), uint16(1))
	f.Fuzz(func(t *testing.T, cons, prod uint32, ring []byte, size uint16) {
		reset()
		defer reset()
		c := xentest.NewConsole()
		Setup(c.Addr(), 3, c.Notify, c.Wait)
		for i := range InSize {
			if len(ring) > 0 {
				c.Page[xentest.ConsIn+i] = ring[i%len(ring)]
			}
		}
		binary.LittleEndian.PutUint32(c.Page[xentest.ConsInCons:], cons)
		binary.LittleEndian.PutUint32(c.Page[xentest.ConsInProd:], prod)
		want := make([]byte, 0, InSize)
		for i := uint32(0); i < InSize; i++ {
			want = append(want, c.Page[xentest.ConsIn+int((cons+i)%InSize)])
		}
		buf := make([]byte, int(size)%(2*InSize)+1)
		n := Read(buf)
		if n < 0 || n > len(buf) || n > InSize {
			t.Fatalf("Read of %d bytes (in_cons %#x, in_prod %#x) returned %d", len(buf), cons, prod, n)
		}
		if waiting := prod - cons; waiting <= InSize && n != min(len(buf), int(waiting)) {
			t.Fatalf("Read of %d bytes with %d waiting returned %d", len(buf), waiting, n)
		}
		if !bytes.Equal(buf[:n], want[:n]) {
			t.Fatalf("Read returned %q, want %q (from in_cons %#x)", buf[:n], want[:n], cons)
		}
		if got := c.InputConsumed(); got != cons+uint32(n) {
			t.Fatalf("in_cons = %#x after reading %d bytes from %#x", got, n, cons)
		}
	})
}
