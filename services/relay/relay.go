// Package relay is the program-context end of the kernel's relay (runtime/relay): a server that
// runs the system calls the kernel cannot run itself, on objects (sockets, files) that live
// here, in ordinary Go, and that runs device drivers when their interrupts arrive.
//
// The server is one goroutine locked to its own thread. It waits for work in the private call
// relay_wait (giving up its P while it waits, so the program keeps running), dispatches each
// request to its object, and hands the completions back with its next wait. A handler that must
// wait (for a disk, say) replies later from any goroutine; the reply then goes straight to the
// kernel with relay_done.
//
// Services that run here must never make the calls the relay serves (sockets, served files):
// the server would wait for itself.
//
// The wire format is runtime/relay/wire; docs/network.md has the design.
package relay

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
	_ "unsafe" // for go:linkname

	"github.com/unikgen/unikgen/runtime/relay/wire"
)

// An Object is a served file: the kernel forwards the calls on its descriptors to Serve.
type Object interface {
	// Serve runs the call req and replies to it, now or later.
	Serve(req *Request)
	// Release is called when the last descriptor of the object is closed.
	Release()
}

// A Request is one forwarded system call, or a request with no caller: the creation of an
// object the kernel has already given a descriptor (socket(2): Obj is the new object), or a
// release.
type Request struct {
	id    uint32
	Nr    int       // the system call number
	Obj   int32     // the object of the descriptor (or the one to create), or -1
	Flags uint32    // the descriptor's status flags (O_NONBLOCK, access mode)
	TID   int       // the calling thread; 0 when no thread waits for a reply
	Spare int32     // the object number for a descriptor the call may make (ReplyInstall), or -1
	Args  [6]uint64 // the arguments, as the caller passed them
	srv   *Server
	// inline is set while the server dispatches the request: a reply then joins the batch of the
	// next relay_wait instead of making a call of its own.
	inline  bool
	replied bool
	sink    func(Completion) // tests: where replies go instead of the kernel
}

// NewRequest returns a request whose reply goes to sink instead of the kernel: for host tests
// of objects and handlers. A sink of nil makes a request with no caller.
func NewRequest(nr int, obj, spare int32, flags uint32, args [6]uint64, sink func(Completion)) *Request {
	r := &Request{Nr: nr, Obj: obj, Spare: spare, Flags: flags, Args: args, sink: sink, TID: 1}
	if sink == nil {
		r.TID = 0
	}
	return r
}

// Nonblocking reports whether the descriptor is in non-blocking mode.
func (r *Request) Nonblocking() bool { return r.Flags&syscall.O_NONBLOCK != 0 }

// Reply answers the call with result (a value, or -errno) and the object's readiness after it.
func (r *Request) Reply(result int64, ready uint32) {
	r.reply(Completion{How: wire.HowResult, Result: result, Ready: ready})
}

// ReplyWouldBlock answers -EAGAIN. On a blocking descriptor the kernel instead waits until the
// object reports one of the events in wait, and runs the call again.
func (r *Request) ReplyWouldBlock(ready, wait uint32) {
	r.reply(Completion{How: wire.HowResult, Result: -int64(syscall.EAGAIN), Ready: ready, Wait: wait})
}

// ReplyInstall answers with a new descriptor for the request's spare object, which the handler
// has made (Server.Put): fdFlags are its O_NONBLOCK and O_CLOEXEC; pollable is false for regular
// files and directories; newReady is its readiness, and ready that of the request's own object
// (an accepting listener), if any. If the caller has no descriptor left it gets EMFILE and the
// object is released.
func (r *Request) ReplyInstall(fdFlags uint32, pollable bool, ready, newReady uint32) {
	how := uint32(wire.HowInstall)
	if !pollable {
		how = wire.HowInstallFile
	}
	r.reply(Completion{How: how, Result: int64(r.Spare), Ready: ready, NewReady: newReady, FDFlags: fdFlags})
}

// Detach returns the request for a handler that replies later, from another goroutine: the
// reply then goes to the kernel with relay_done. r itself must not be replied to any more.
func (r *Request) Detach() *Request {
	if r.replied {
		panic("relay: detaching a request that has its reply")
	}
	d := *r
	d.inline = false
	r.replied = true
	return &d
}

func (r *Request) reply(c Completion) {
	if r.replied {
		panic("relay: second reply to a request")
	}
	r.replied = true
	c.id = r.id
	if r.TID == 0 {
		return // nobody waits
	}
	if r.sink != nil {
		r.sink(c)
		return
	}
	if r.inline {
		r.srv.done = append(r.srv.done, c)
		return
	}
	var rec [wire.CompletionSize]byte
	c.put(rec[:])
	syscall.RawSyscall(wire.SysDone, uintptr(unsafe.Pointer(&rec)), 1, 0)
}

// A Completion is a reply as the kernel receives it (runtime/relay/wire).
type Completion struct {
	id          uint32
	How         uint32 // wire.How*
	Result      int64
	Ready, Wait uint32
	FDFlags     uint32
	NewReady    uint32
}

func (c *Completion) put(b []byte) {
	le.PutUint32(b[wire.DoneID:], c.id)
	le.PutUint32(b[wire.DoneHow:], c.How)
	le.PutUint64(b[wire.DoneResult:], uint64(c.Result))
	le.PutUint32(b[wire.DoneReady:], c.Ready)
	le.PutUint32(b[wire.DoneWait:], c.Wait)
	le.PutUint32(b[wire.DoneFDFlags:], c.FDFlags)
	le.PutUint32(b[wire.DoneNewReady:], c.NewReady)
}

var le = binary.LittleEndian

// A Server owns the served objects and the interrupt lines.
type Server struct {
	mu      sync.Mutex
	objects [wire.MaxObjects]Object
	calls   map[int]func(*Request) // handlers of the calls on no object, by number
	irqs    [wire.MaxIRQLines]func()
	start   sync.Once

	out  []byte
	done []Completion
	recs []byte
}

var std = &Server{}

// Default returns the server of the program.
func Default() *Server { return std }

// Handle sets the handler of system call nr when it names no object (socket(2), openat(2)...).
// Any goroutine may call it, before or after Start.
func (s *Server) Handle(nr int, h func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[int]func(*Request){}
	}
	s.calls[nr] = h
}

// Put makes o the object obj (a number the kernel gave: a socket being created, or a request's
// spare).
func (s *Server) Put(obj int32, o Object) {
	s.mu.Lock()
	s.objects[obj] = o
	s.mu.Unlock()
}

func (s *Server) object(obj int32) Object {
	if obj < 0 || obj >= wire.MaxObjects {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[obj]
}

// Notify tells the kernel that events (epoll bits) happened on obj. Any goroutine may call it.
func (s *Server) Notify(obj int32, events uint32) {
	syscall.RawSyscall(wire.SysNotify, uintptr(obj), uintptr(events), 0)
}

// SetAddrs tells the kernel socket obj's local and remote addresses (struct sockaddr bytes;
// empty for none), which it gives getsockname(2) and getpeername(2) without asking the server.
func (s *Server) SetAddrs(obj int32, local, remote []byte) {
	var l, r uintptr
	if len(local) > 0 {
		l = uintptr(unsafe.Pointer(&local[0]))
	}
	if len(remote) > 0 {
		r = uintptr(unsafe.Pointer(&remote[0]))
	}
	syscall.RawSyscall6(wire.SysAddr, uintptr(obj), l, uintptr(len(local)), r, uintptr(len(remote)), 0)
	runtime.KeepAlive(local)
	runtime.KeepAlive(remote)
}

// AddIRQ gives h an interrupt line: h runs on the server whenever the line fires. Route the
// device's interrupt to the line with RouteIRQ. Call it before the device can interrupt.
func (s *Server) AddIRQ(h func()) (line int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.irqs {
		if f == nil {
			s.irqs[i] = h
			return i, nil
		}
	}
	return 0, errors.New("relay: no interrupt line left")
}

// RouteIRQ asks the kernel to deliver a device interrupt to line: from I/O APIC input gsi
// (level-triggered, active-high), or, with gsi -1, as a message-signalled interrupt whose
// vector it returns. ack says how the kernel quiets the device (wire.Ack*, register at addr).
func RouteIRQ(line, gsi int, ack uint8, addr uintptr) (vector int, err error) {
	r, _, e := syscall.RawSyscall6(wire.SysIRQ, uintptr(line), uintptr(gsi), uintptr(ack), addr, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// RouteEventChannel asks the kernel to deliver Xen event channel port to line: the line fires
// whenever the port does (on a Xen domain only; elsewhere ENODEV).
func RouteEventChannel(line int, port uint32) error {
	gsi := int32(wire.GSIEventChannel)
	_, _, e := syscall.RawSyscall6(wire.SysIRQ, uintptr(line), uintptr(uint32(gsi)), wire.AckNone, uintptr(port), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// AllocDMA returns a zeroed, identity-mapped 4 KiB frame below 4 GiB for device rings and
// buffers: its address is also its physical address. Frames are never given back.
func AllocDMA() (uintptr, error) {
	r, _, e := syscall.RawSyscall(wire.SysDMA, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// Start runs the server in a goroutine of its own, locked to its thread, once.
func (s *Server) Start() {
	s.start.Do(func() {
		s.out = make([]byte, wire.HeaderSize+64*wire.RequestSize)
		s.recs = make([]byte, 64*wire.CompletionSize)
		registered := make(chan struct{})
		go s.loop(registered)
		<-registered
	})
}

func (s *Server) loop(registered chan<- struct{}) {
	runtime.LockOSThread()
	// Become the server (relay_wait with no buffer), so that calls made from now on queue for
	// this thread.
	if _, _, e := syscall.RawSyscall6(wire.SysWait, 0, 0, 0, 0, 0, 0); e != 0 {
		panic("relay: cannot become the server: " + e.Error())
	}
	close(registered)
	var reqs []Request
	for {
		if need := len(s.done) * wire.CompletionSize; need > len(s.recs) {
			s.recs = make([]byte, need)
		}
		for i := range s.done {
			s.done[i].put(s.recs[i*wire.CompletionSize:])
		}
		n, errno := wait(uintptr(unsafe.Pointer(&s.out[0])), uintptr(len(s.out)),
			uintptr(unsafe.Pointer(&s.recs[0])), uintptr(len(s.done)))
		s.done = s.done[:0] // applied, even when the call failed
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			panic("relay: relay_wait: " + errno.Error())
		}
		irqs := le.Uint64(s.out[wire.HdrIRQs:])
		for line := 0; irqs != 0; line++ {
			if irqs&1 != 0 {
				s.mu.Lock()
				h := s.irqs[line]
				s.mu.Unlock()
				if h != nil {
					h()
				}
			}
			irqs >>= 1
		}
		reqs = reqs[:0]
		for i := 0; i < int(n); i++ {
			b := s.out[wire.HeaderSize+i*wire.RequestSize:]
			r := Request{
				id:    le.Uint32(b[wire.ReqID:]),
				Nr:    int(le.Uint32(b[wire.ReqNr:])),
				Obj:   int32(le.Uint32(b[wire.ReqObj:])),
				Flags: le.Uint32(b[wire.ReqFlags:]),
				TID:   int(le.Uint32(b[wire.ReqTID:])),
				Spare: int32(le.Uint32(b[wire.ReqSpare:])),
				srv:   s,
			}
			for k := range r.Args {
				r.Args[k] = le.Uint64(b[wire.ReqArgs+8*k:])
			}
			reqs = append(reqs, r)
		}
		for i := range reqs {
			s.dispatch(&reqs[i])
		}
	}
}

// An Eventer is an object that the kernel may ask to look at its state (wire.OpEvent): a socket's
// stream rings.
type Eventer interface {
	Event()
}

func (s *Server) dispatch(r *Request) {
	if r.Nr == wire.OpEvent {
		if e, ok := s.object(r.Obj).(Eventer); ok {
			e.Event()
		}
		return
	}
	if r.Nr == wire.OpRelease {
		if o := s.object(r.Obj); o != nil {
			s.mu.Lock()
			s.objects[r.Obj] = nil
			s.mu.Unlock()
			o.Release()
		}
		return
	}
	r.inline = true
	defer func() { r.inline = false }()
	if r.Obj < 0 || r.TID == 0 { // a call on no object, or the creation of one
		s.mu.Lock()
		h := s.calls[r.Nr]
		s.mu.Unlock()
		if h == nil {
			r.Reply(-int64(syscall.ENOSYS), 0)
			return
		}
		h(r)
		return
	}
	o := s.object(r.Obj)
	if o == nil {
		r.Reply(-int64(syscall.EBADF), 0)
		return
	}
	o.Serve(r)
}

//go:linkname entersyscallblock runtime.entersyscallblock
func entersyscallblock()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// wait is relay_wait. It gives up the P while it waits (entersyscallblock), so that with
// GOMAXPROCS=1 too the program runs on while the server has nothing to do.
//
//go:nosplit
func wait(out, size, done, n uintptr) (uintptr, syscall.Errno) {
	entersyscallblock()
	r, _, e := syscall.RawSyscall6(wire.SysWait, out, size, done, n, 0, 0)
	exitsyscall()
	return r, e
}
