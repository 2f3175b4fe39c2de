package xenstore

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

// FuzzResponseRing drives the response ring's consumer (receive) with a daemon that writes a byte
// stream into the ring in pieces of any size, from any starting index (so the free-running indices
// wrap), and may once set rsp_prod to any value, as a broken or hostile daemon could. Without that
// corruption the messages received must be exactly those of the stream (wire.Reader fed the whole
// stream is the reference), ending with EIO where the stream breaks (a payload above
// wire.MaxPayload) or ETIMEDOUT where it runs out. With it, receive must still return (EIO for a
// producer more than the ring ahead, leaving rsp_cons where it was), never panic, and never
// consume more than the producer offered.
func FuzzResponseRing(f *testing.F) {
	buf := make([]byte, wire.MaxMessage)
	m1, _ := wire.EncodeWrite(buf, 3, 0, "data/exit-status", []byte("42"))
	s := append([]byte(nil), m1...)
	m2, _ := wire.EncodeWatch(buf, wire.Watch, 5, "data", "tok")
	s = append(s, m2...)
	f.Add(s, uint32(0), []byte{7, 200, 1}, uint32(0), uint8(0))
	f.Add(s, uint32(0xfffffff0), []byte{255}, uint32(5000), uint8(2))
	big := make([]byte, wire.HeaderSize+3000) // a message larger than the ring
	wire.Header(big).Encode(wire.Read, 1, 0, 3000)
	f.Add(big, uint32(1020), []byte{100, 255, 3}, uint32(0), uint8(0))
	f.Fuzz(func(t *testing.T, stream []byte, start uint32, cuts []byte, corrupt uint32, corruptAt uint8) {
		if len(stream) > 4*wire.MaxMessage {
			stream = stream[:4*wire.MaxMessage]
		}
		// The reference: the messages of the whole stream, and whether it breaks.
		var ref [][]byte
		var refErr syscall.Errno
		var r wire.Reader
		for rest := stream; len(rest) > 0 && refErr == 0; {
			k, e := r.Feed(rest)
			rest, refErr = rest[k:], e
			if r.Complete() {
				h, p := r.Message()
				ref = append(ref, append(append([]byte(nil), h...), p...))
				r.Reset()
			}
		}

		page := xentest.NewStore(1).Page
		addr := hw.Addr(page)
		hw.Store32(addr+OffRspCons, start)
		hw.Store32(addr+OffRspProd, start)
		sent, steps, corrupted := 0, 0, false
		var consAtCorrupt uint32
		maxCons := start // the furthest rsp_cons may go: the last sane rsp_prod
		daemon := func(uint32) {
			steps++
			cons, prod := hw.Load32(addr+OffRspCons), hw.Load32(addr+OffRspProd)
			if !corrupted && cons-start > maxCons-start {
				t.Fatalf("rsp_cons %#x passed rsp_prod %#x", cons, maxCons)
			}
			if corruptAt != 0 && steps == int(corruptAt) {
				corrupted, consAtCorrupt = true, cons
				hw.Store32(addr+OffRspProd, corrupt)
				return
			}
			if corrupted {
				return
			}
			n := len(stream) - sent
			if len(cuts) > 0 {
				n = min(n, int(cuts[steps%len(cuts)])+1)
			}
			n = min(n, RspSize-int(prod-cons))
			for i := range n {
				page[OffRsp+int((prod+uint32(i))%RspSize)] = stream[sent+i]
			}
			sent += n
			hw.Store32(addr+OffRspProd, prod+uint32(n))
			maxCons = prod + uint32(n)
		}
		Setup(addr, 1, func(uint32) {}, daemon)
		defer Setup(0, 0, nil, nil)

		var got [][]byte
		var err syscall.Errno
		for len(got) <= len(ref) {
			var ok bool
			ok, err = receive(true)
			if err != 0 {
				break
			}
			if !ok {
				t.Fatal("receive(true) returned neither a message nor an error")
			}
			h, p := rd.Message()
			got = append(got, append(append([]byte(nil), h...), p...))
		}
		if corrupted {
			// The consumer looks at the indices right after the wait in which the producer
			// jumped: one more than the ring ahead must stop it there.
			if cons := hw.Load32(addr + OffRspCons); corrupt-consAtCorrupt > RspSize && (err != syscall.EIO || cons != consAtCorrupt) {
				t.Fatalf("rsp_prod set to %#x with rsp_cons at %#x: error %v, rsp_cons %#x; want EIO, rsp_cons unchanged", corrupt, consAtCorrupt, err, cons)
			}
			return
		}
		if len(got) != len(ref) {
			t.Fatalf("received %d messages, the stream has %d (error %v)", len(got), len(ref), err)
		}
		for i := range got {
			if !bytes.Equal(got[i], ref[i]) {
				t.Fatalf("message %d: %q, want %q", i, got[i], ref[i])
			}
		}
		want := syscall.ETIMEDOUT
		if refErr != 0 {
			want = refErr
		}
		if err != want {
			t.Fatalf("after the messages: %v, want %v", err, want)
		}
	})
}
