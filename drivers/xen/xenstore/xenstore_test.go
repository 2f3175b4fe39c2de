package xenstore

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

func setup(t *testing.T) *xentest.Store {
	t.Helper()
	s := xentest.NewStore(1)
	Setup(s.Addr(), 1, s.Notify, s.Wait)
	t.Cleanup(func() { Setup(0, 0, nil, nil) })
	return s
}

func TestLayoutMatchesFake(t *testing.T) {
	for i, p := range [][2]int{
		{OffReq, xentest.StoreReq}, {OffRsp, xentest.StoreRsp}, {ReqSize, xentest.StoreRing},
		{RspSize, xentest.StoreRing}, {OffReqCons, xentest.StoreReqCons}, {OffReqProd, xentest.StoreReqProd},
		{OffRspCons, xentest.StoreRspCons}, {OffRspProd, xentest.StoreRspProd},
	} {
		if p[0] != p[1] {
			t.Errorf("constant %d: driver %d, fake %d", i, p[0], p[1])
		}
	}
}

func TestBasicOps(t *testing.T) {
	for _, chunk := range []int{0, 1, 3, 16, 17, 100} {
		t.Run(fmt.Sprint("chunk", chunk), func(t *testing.T) {
			s := setup(t)
			s.Chunk = chunk
			if v, err := Read("domid"); err != nil || v != "1" {
				t.Fatalf("Read(domid) = %q, %v", v, err)
			}
			if err := Write("data/greeting", "hello"); err != nil {
				t.Fatal(err)
			}
			if v, _ := s.Get("data/greeting"); v != "hello" {
				t.Fatalf("daemon has %q", v)
			}
			if v, err := Read("/local/domain/1/data/greeting"); err != nil || v != "hello" {
				t.Fatalf("absolute Read = %q, %v", v, err)
			}
			if err := Mkdir("data/dir"); err != nil {
				t.Fatal(err)
			}
			if err := Write("data/dir/b", "2"); err != nil {
				t.Fatal(err)
			}
			if err := Write("data/dir/a", ""); err != nil {
				t.Fatal(err)
			}
			names, err := Directory("data/dir")
			if err != nil || strings.Join(names, ",") != "a,b" {
				t.Fatalf("Directory = %q, %v", names, err)
			}
			if names, err := Directory("data/dir/a"); err != nil || len(names) != 0 {
				t.Fatalf("empty Directory = %q, %v", names, err)
			}
			if err := Rm("data/dir"); err != nil {
				t.Fatal(err)
			}
			if _, err := Read("data/dir/b"); !errors.Is(err, syscall.ENOENT) {
				t.Fatalf("Read after Rm: %v, want ENOENT", err)
			}
		})
	}
}

func TestErrorReplies(t *testing.T) {
	s := setup(t)
	if _, err := Read("data/missing"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Read(missing) = %v, want ENOENT", err)
	}
	if _, err := Directory(""); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Directory(\"\") = %v, want EINVAL", err)
	}
	if err := Rm("data/missing"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Rm(missing) = %v", err)
	}
	if err := Unwatch("data", "never"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Unwatch(unknown) = %v", err)
	}
	// The connection stays usable after errors.
	if v, err := Read("name"); err != nil || v != "xentest" {
		t.Fatalf("Read after errors = %q, %v", v, err)
	}
	last := s.Requests[len(s.Requests)-1]
	if last.Type != wire.Read || last.Payload != "name\x00" {
		t.Fatalf("last request %+v", last)
	}
}

func TestLargeValuesWrap(t *testing.T) {
	s := setup(t)
	s.SetIndices(0xfffff000) // the free-running indices overflow on the way
	s.Chunk = 333
	for _, n := range []int{1000, 1024, 1025, 4000} {
		val := strings.Repeat(fmt.Sprintf("%04d", n), n/4)
		if err := Write("data/big", val); err != nil {
			t.Fatalf("Write %d bytes: %v", n, err)
		}
		if v, _ := s.Get("data/big"); v != val {
			t.Fatalf("daemon got %d bytes, want %d", len(v), len(val))
		}
		if v, err := Read("data/big"); err != nil || v != val {
			t.Fatalf("Read %d bytes: got %d, %v", n, len(v), err)
		}
	}
	if err := Write("data/huge", strings.Repeat("x", wire.MaxPayload)); !errors.Is(err, syscall.E2BIG) {
		t.Fatalf("oversized Write = %v, want E2BIG", err)
	}
	if v, err := Read("domid"); err != nil || v != "1" {
		t.Fatalf("Read after E2BIG = %q, %v", v, err)
	}
}

func TestWatchEventsInterleaved(t *testing.T) {
	s := setup(t)
	s.Chunk = 5
	if err := Watch("data/w", "tok1"); err != nil {
		t.Fatal(err)
	}
	// Events arrive before the next reply: the reply must still be found, the events kept.
	s.InjectEvent("data/w/x", "tok1")
	s.InjectEvent("data/w/y", "tok1")
	if v, err := Read("domid"); err != nil || v != "1" {
		t.Fatalf("Read with events in front = %q, %v", v, err)
	}
	// A write by another domain fires the watch.
	s.Set("data/w/z", "1")
	s.Deliver() // the first Chunk bytes: PollEvent waits for the rest of the message
	want := []Event{{"data/w", "tok1"}, {"data/w/x", "tok1"}, {"data/w/y", "tok1"}, {"data/w/z", "tok1"}}
	for i, w := range want {
		ev, ok := PollEvent()
		if !ok || ev != w {
			t.Fatalf("event %d = %+v, %v; want %+v", i, ev, ok, w)
		}
	}
	if ev, ok := PollEvent(); ok {
		t.Fatalf("extra event %+v", ev)
	}
	// Our own write fires the watch too; WaitEvent waits for it.
	if err := Write("data/w", "v"); err != nil {
		t.Fatal(err)
	}
	ev, err := WaitEvent()
	if err != nil || ev != (Event{"data/w", "tok1"}) {
		t.Fatalf("WaitEvent = %+v, %v", ev, err)
	}
	if err := Unwatch("data/w", "tok1"); err != nil {
		t.Fatal(err)
	}
	s.Set("data/w/after", "1")
	s.Deliver()
	if ev, ok := PollEvent(); ok {
		t.Fatalf("event after Unwatch: %+v", ev)
	}
}

func TestWaitEventBlocks(t *testing.T) {
	s := setup(t)
	if err := Watch("/local/domain/1/control/shutdown", "sd"); err != nil {
		t.Fatal(err)
	}
	if ev, _ := PollEvent(); ev.Path != "/local/domain/1/control/shutdown" {
		t.Fatalf("initial event %+v", ev)
	}
	// Nothing queued: the event only exists after the daemon has been waited on twice.
	s.Stall = 2
	s.InjectEvent("/local/domain/1/control/shutdown", "sd")
	ev, err := WaitEvent()
	if err != nil || ev.Token != "sd" {
		t.Fatalf("WaitEvent = %+v, %v", ev, err)
	}
	if s.Waits < 3 {
		t.Fatalf("WaitEvent returned after %d waits", s.Waits)
	}
}

func TestEventQueueOverflow(t *testing.T) {
	s := setup(t)
	for i := 0; i < EventSlots+4; i++ {
		s.InjectEvent(fmt.Sprintf("data/e%d", i), "t")
	}
	s.InjectEvent("data/"+strings.Repeat("l", EventSlotSize), "t") // too long for a slot
	if _, err := Read("domid"); err != nil {
		t.Fatal(err)
	}
	if n := DroppedEvents(); n != 5 {
		t.Fatalf("DroppedEvents = %d, want 5", n)
	}
	for i := 0; i < EventSlots; i++ {
		ev, ok := PollEvent()
		if !ok || ev.Path != fmt.Sprintf("data/e%d", i) {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
}

func TestStaleReplyIgnored(t *testing.T) {
	s := setup(t)
	s.InjectReply(wire.Read, 0xdead, "stale")
	s.InjectReply(wire.Error, 0xbeef, "EACCES\x00")
	if v, err := Read("domid"); err != nil || v != "1" {
		t.Fatalf("Read = %q, %v", v, err)
	}
}

func TestTransactionRetry(t *testing.T) {
	s := setup(t)
	s.Chunk = 7
	s.FailCommits = 2
	runs := 0
	err := Transaction(func(tx Tx) error {
		runs++
		v, err := tx.Read("data/counter")
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return err
		}
		if err := tx.Write("data/counter", v+"+"); err != nil {
			return err
		}
		if v, err := tx.Read("data/counter"); err != nil || v != "+" {
			return fmt.Errorf("read inside tx = %q, %v", v, err)
		}
		if _, ok := s.Get("data/counter"); ok {
			return errors.New("transaction write visible before commit")
		}
		return tx.Mkdir("data/txdir")
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 3 {
		t.Fatalf("fn ran %d times, want 3", runs)
	}
	if v, _ := s.Get("data/counter"); v != "+" {
		t.Fatalf("counter = %q", v)
	}
	if _, ok := s.Get("data/txdir"); !ok {
		t.Fatal("Mkdir in transaction not committed")
	}
	starts, ends := 0, 0
	for _, r := range s.Requests {
		switch r.Type {
		case wire.TransactionStart:
			starts++
		case wire.TransactionEnd:
			ends++
			if r.Payload != "T\x00" || r.TxID == 0 {
				t.Errorf("TRANSACTION_END %+v", r)
			}
		case wire.Read, wire.Write, wire.Mkdir:
			if r.TxID == 0 && strings.HasPrefix(r.Payload, "data/") {
				t.Errorf("request outside the transaction: %+v", r)
			}
		}
	}
	if starts != 3 || ends != 3 {
		t.Fatalf("%d starts, %d ends", starts, ends)
	}
}

func TestTransactionAbort(t *testing.T) {
	s := setup(t)
	boom := errors.New("boom")
	err := Transaction(func(tx Tx) error {
		if err := tx.Write("data/x", "1"); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Transaction = %v, want boom", err)
	}
	if _, ok := s.Get("data/x"); ok {
		t.Fatal("aborted write committed")
	}
	if last := s.Requests[len(s.Requests)-1]; last.Type != wire.TransactionEnd || last.Payload != "F\x00" {
		t.Fatalf("last request %+v, want abort", last)
	}
}

func TestTransactionGivesUp(t *testing.T) {
	s := setup(t)
	s.FailCommits = 1 << 30
	runs := 0
	err := Transaction(func(tx Tx) error { runs++; return tx.Write("data/y", "1") })
	if !errors.Is(err, syscall.EAGAIN) || runs != MaxTransactionAttempts {
		t.Fatalf("Transaction = %v after %d runs", err, runs)
	}
}

func TestExitStatus(t *testing.T) {
	s := setup(t)
	for _, st := range []int{0, 3, 255, -1, 1234567} {
		if e := WriteExitStatus(st); e != 0 {
			t.Fatalf("WriteExitStatus(%d) = %v", st, e)
		}
		if v, _ := s.Get(ExitStatusPath); v != fmt.Sprint(st) {
			t.Fatalf("exit status %d written as %q", st, v)
		}
	}
	var buf [8]byte
	if n, e := Get("domid", buf[:]); e != 0 || string(buf[:n]) != "1" {
		t.Fatalf("Get = %q, %v", buf[:n], e)
	}
	if n, e := Get("name", buf[:3]); e != 0 || n != 7 || string(buf[:3]) != "xen" {
		t.Fatalf("truncated Get = %d, %q, %v", n, buf[:3], e)
	}
	if _, e := Get("nothing", buf[:]); e != syscall.ENOENT {
		t.Fatalf("Get(missing) = %v", e)
	}
	busy.Store(1)
	if e := Put("data/p", []byte("1")); e != syscall.EBUSY {
		t.Fatalf("Put while busy = %v", e)
	}
	busy.Store(0)
}

// TestExitStatusTakesOverRing stops a user-context operation in the middle of its use of the
// ring, as an exit stops the thread of a frontend's watcher, and writes the exit status: the
// status must reach the daemon (before the hand-over, WriteExitStatus answered EBUSY and the
// status was lost), after the abandoned request, whose reply the kernel path skips.
func TestExitStatusTakesOverRing(t *testing.T) {
	big := strings.Repeat("v", 2500) // more than the 1 KiB request ring
	for _, c := range []struct {
		name   string
		chunk  int // reply bytes the daemon delivers per wait
		value  string
		stopAt int  // the holder's wait call at which it stops (1 = its first)
		mute   bool // the daemon reads no request until the hand-over: the holder stops in send
		got    int  // bytes of the message being received that the holder had taken then
		sent   int  // bytes of its request in the ring then, when it stopped in send (0: sent)
	}{
		// The event ahead of the reply is 33 bytes, the reply 19 ("OK\x00").
		{name: "waiting for its reply", value: "1", stopAt: 1, got: 0},
		{name: "event header half read", chunk: 5, value: "1", stopAt: 3, got: 10},
		{name: "event payload half read", chunk: 5, value: "1", stopAt: 5, got: 20},
		{name: "reply header half read", chunk: 5, value: "1", stopAt: 9, got: 7},
		{name: "reply payload half read", chunk: 5, value: "1", stopAt: 11, got: 17},
		{name: "request half sent", value: big, stopAt: 1, mute: true, sent: ReqSize},
		{name: "long request, event half read", chunk: 3, value: big, stopAt: 4, got: 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := setup(t)
			s.Set("data/watched", "")
			if err := Watch("data/watched", "tok"); err != nil {
				t.Fatal(err)
			}
			for {
				if _, ok := PollEvent(); !ok {
					break // the watch's first event read: the ring is empty
				}
			}
			s.Chunk = c.chunk
			var muted atomic.Bool
			muted.Store(c.mute)
			var holderWaits atomic.Int32
			holding := make(chan struct{})
			release := make(chan struct{})
			exited := make(chan struct{})
			t.Cleanup(func() {
				// Before setup's cleanup: the holder lets go of the ring (request's deferred
				// unlock) before the next test.
				close(release)
				<-exited
			})
			notifyHook := func(p uint32) {
				if !muted.Load() {
					s.Notify(p)
				}
			}
			waitHook := func(p uint32) {
				if holderWaits.Load() > 0 && holderWaits.Add(1) > int32(c.stopAt) {
					// The holder stops here for good: the domain powers off after the exit.
					close(holding)
					<-release
					runtime.Goexit()
				}
				if !muted.Load() {
					s.Wait(p)
				}
			}
			Setup(s.Addr(), 1, notifyHook, waitHook)
			holderWaits.Store(1)
			// An event queued ahead of the holder's reply, as a backend's state change would be.
			s.InjectEvent("data/watched", "tok")
			go func() {
				defer close(exited)
				Write("data/held", c.value)
			}()
			select {
			case <-holding:
			case <-exited:
				t.Fatal("the holder's Write returned: it did not stop in the ring")
			}
			holderWaits.Store(0)
			muted.Store(false)
			if busy.Load() == 0 {
				t.Fatal("the holder left the ring free: nothing to take over")
			}
			if got := rd.Len(); got != c.got {
				t.Fatalf("the holder stopped with %d bytes of a message, want %d (the case does not test what it says)", got, c.got)
			}
			if sent := 0; c.sent != 0 {
				if txLen != 0 {
					sent = int(hw.Load32(s.Addr()+OffReqProd) - txStart)
				}
				if sent != c.sent {
					t.Fatalf("the holder stopped with %d bytes of its request sent, want %d", sent, c.sent)
				}
			}
			if e := WriteExitStatus(3); e != 0 {
				t.Fatalf("WriteExitStatus while a stopped operation holds the ring = %v, want 0", e)
			}
			if v, ok := s.Get(ExitStatusPath); !ok || v != "3" {
				t.Fatalf("daemon has exit status %q (%v), want \"3\"", v, ok)
			}
			if v, _ := s.Get("data/held"); v != c.value {
				t.Errorf("the abandoned request arrived as %d bytes, want %d", len(v), len(c.value))
			}
			var writes []string
			for _, r := range s.Requests {
				if r.Type == wire.Write {
					writes = append(writes, strings.SplitN(r.Payload, "\x00", 2)[0])
				}
			}
			if strings.Join(writes, ",") != "data/held,"+ExitStatusPath {
				t.Errorf("daemon got writes %q, want the abandoned one then the status", writes)
			}
			if s.Pending() != 0 {
				t.Errorf("%d reply bytes never delivered", s.Pending())
			}
		})
	}
}

// TestKernelPathNoAlloc runs WriteExitStatus against replies placed in the ring beforehand, with
// hooks that do nothing, so that only the driver's allocations count.
func TestKernelPathNoAlloc(t *testing.T) {
	s := setup(t)
	nop := func(uint32) {}
	Setup(s.Addr(), 1, nop, nop)
	var reply [wire.HeaderSize + 3]byte
	copy(reply[wire.HeaderSize:], "OK\x00")
	page := s.Page
	allocs := testing.AllocsPerRun(50, func() {
		s.SetIndices(0)
		wire.Header(reply[:]).Encode(wire.Write, reqID+1, 0, 3)
		copy(page[OffRsp:], reply[:])
		s.SetIndices(0)
		setRspProd(page, uint32(len(reply)))
		if e := WriteExitStatus(7); e != 0 {
			t.Fatalf("WriteExitStatus = %v", e)
		}
	})
	if allocs != 0 {
		t.Fatalf("WriteExitStatus allocates: %v per run", allocs)
	}
	if got := string(page[OffReq+wire.HeaderSize : OffReq+wire.HeaderSize+len(ExitStatusPath)+2]); got != ExitStatusPath+"\x007" {
		t.Fatalf("request payload %q", got)
	}
}

func setRspProd(page []byte, v uint32) {
	page[OffRspProd], page[OffRspProd+1], page[OffRspProd+2], page[OffRspProd+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func TestTimeoutAndRecovery(t *testing.T) {
	s := setup(t)
	s.Stall = MaxStalls + 1
	if _, err := Read("domid"); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("Read from a stalled daemon = %v, want ETIMEDOUT", err)
	}
	// The late reply to the timed-out request arrives first and is skipped.
	if v, err := Read("name"); err != nil || v != "xentest" {
		t.Fatalf("Read after timeout = %q, %v", v, err)
	}
}

func TestNotReady(t *testing.T) {
	Setup(0, 0, nil, nil)
	if _, err := Read("x"); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("Read without ring = %v", err)
	}
	if e := WriteExitStatus(0); e != syscall.ENOTCONN {
		t.Fatalf("WriteExitStatus without ring = %v", e)
	}
	if _, err := WaitEvent(); err == nil {
		t.Fatal("WaitEvent without ring succeeded")
	}
	if _, ok := PollEvent(); ok {
		t.Fatal("PollEvent without ring")
	}
	if Init() {
		t.Fatal("Init succeeded without Xen")
	}
}

func TestConcurrentUsers(t *testing.T) {
	s := setup(t)
	s.Chunk = 50
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				p := fmt.Sprintf("data/g%d", g)
				v := fmt.Sprint(i)
				if err := Write(p, v); err != nil {
					t.Error(err)
					return
				}
				if got, err := Read(p); err != nil || got != v {
					t.Errorf("Read(%s) = %q, %v; want %q", p, got, err, v)
					return
				}
			}
		}()
	}
	wg.Wait()
}
