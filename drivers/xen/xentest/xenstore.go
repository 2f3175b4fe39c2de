// This file implements the fake xenstore daemon.

package xentest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/xenstore/wire"
)

// Xenstore ring layout (io/xs_wire.h, struct xenstore_domain_interface).
const (
	StoreReq     = 0
	StoreRsp     = 1024
	StoreRing    = 1024 // XENSTORE_RING_SIZE
	StoreReqCons = 2048
	StoreReqProd = 2052
	StoreRspCons = 2056
	StoreRspProd = 2060
)

// Request is a request the fake daemon received.
type Request struct {
	Type    wire.Type
	ReqID   uint32
	TxID    uint32
	Payload string
}

// Store is a fake xenstored for one domain: a tree of nodes, watches and transactions, speaking
// the wire protocol over the page's rings.
type Store struct {
	Page []byte // the xenstore_domain_interface page

	// Home is the domain's home, the base of relative paths ("/local/domain/1").
	Home string
	// Chunk bounds the reply bytes put into the response ring per Wait (0: as many as fit), to
	// make messages arrive in pieces.
	Chunk int
	// FailCommits makes the next FailCommits commits (TRANSACTION_END T) fail with EAGAIN.
	FailCommits int
	// Stall makes the next Stall calls of Wait do nothing.
	Stall int

	Requests []Request // every request received, in order
	Notifies int
	Waits    int

	nodes   map[string]string // absolute path -> value
	watches []watch
	txs     map[uint32]*transaction
	nextTx  uint32
	in      wire.Reader
	out     []byte // replies and events not yet in the response ring
}

type watch struct {
	path, token string // path as registered
	abs         string
}

type transaction struct {
	writes map[string]*string // absolute path -> value, nil = removed
}

// NewStore returns a daemon for domain domid with the nodes a toolstack creates
// (domid, name, data, device, control).
func NewStore(domid int) *Store {
	s := &Store{
		Page:   newPage(),
		Home:   fmt.Sprintf("/local/domain/%d", domid),
		nodes:  map[string]string{},
		txs:    map[uint32]*transaction{},
		nextTx: 1,
	}
	s.Set("domid", fmt.Sprint(domid))
	s.Set("name", "xentest")
	for _, d := range []string{"data", "device", "control"} {
		s.Set(d, "")
	}
	return s
}

// Addr returns the page's address, for the driver's Setup.
func (s *Store) Addr() uintptr { return hw.Addr(s.Page) }

func (s *Store) u32(off int) uint32 { return hw.Load32(s.Addr() + uintptr(off)) }

func (s *Store) set32(off int, v uint32) { hw.Store32(s.Addr()+uintptr(off), v) }

// SetIndices sets all four ring indices to v: start near 1<<32 to test index wrap-around.
func (s *Store) SetIndices(v uint32) {
	for _, off := range []int{StoreReqCons, StoreReqProd, StoreRspCons, StoreRspProd} {
		s.set32(off, v)
	}
}

func (s *Store) abs(path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	return s.Home + "/" + path
}

// Set creates or changes a node directly, as the toolstack would (fires watches).
func (s *Store) Set(path, value string) {
	s.put(s.abs(path), value)
	s.fire(s.abs(path))
}

// Get returns a node's value as the daemon has it.
func (s *Store) Get(path string) (string, bool) {
	v, ok := s.nodes[s.abs(path)]
	return v, ok
}

func (s *Store) put(abs, value string) {
	s.nodes[abs] = value
	for p := parent(abs); p != "" && p != "/"; p = parent(p) {
		if _, ok := s.nodes[p]; !ok {
			s.nodes[p] = ""
		}
	}
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// InjectEvent queues an asynchronous WATCH_EVENT, delivered before any reply queued later.
func (s *Store) InjectEvent(path, token string) {
	s.queue(wire.WatchEvent, 0, 0, path+"\x00"+token+"\x00")
}

// InjectReply queues a raw message (for instance a stray reply with an unknown req_id).
func (s *Store) InjectReply(t wire.Type, reqID uint32, payload string) {
	s.queue(t, reqID, 0, payload)
}

func (s *Store) queue(t wire.Type, reqID, txID uint32, payload string) {
	h := make([]byte, wire.HeaderSize)
	wire.Header(h).Encode(t, reqID, txID, uint32(len(payload)))
	s.out = append(s.out, h...)
	s.out = append(s.out, payload...)
}

// Notify is the driver's notify hook: the daemon reads and handles requests.
func (s *Store) Notify(port uint32) {
	s.Notifies++
	s.consume()
}

// Wait is the driver's wait hook: the daemon handles requests and puts replies into the
// response ring (at most Chunk bytes).
func (s *Store) Wait(port uint32) {
	s.Waits++
	if s.Stall > 0 {
		s.Stall--
		return
	}
	s.consume()
	s.deliver(s.Chunk)
}

// Deliver puts queued replies and events into the response ring as if the daemon ran on its own:
// at most Chunk bytes (all that fit when Chunk is 0).
func (s *Store) Deliver() { s.deliver(s.Chunk) }

// Pending returns the number of reply bytes not yet put into the response ring.
func (s *Store) Pending() int { return len(s.out) }

func (s *Store) deliver(limit int) {
	cons, prod := s.u32(StoreRspCons), s.u32(StoreRspProd)
	if prod-cons > StoreRing {
		panic("xentest: xenstore rsp_cons runs ahead of rsp_prod")
	}
	n := StoreRing - int(prod-cons)
	if n > len(s.out) {
		n = len(s.out)
	}
	if limit > 0 && n > limit {
		n = limit
	}
	for i := 0; i < n; i++ {
		s.Page[StoreRsp+int(prod%StoreRing)] = s.out[i]
		prod++
	}
	s.out = s.out[n:]
	s.set32(StoreRspProd, prod)
}

func (s *Store) consume() {
	cons, prod := s.u32(StoreReqCons), s.u32(StoreReqProd)
	if prod-cons > StoreRing {
		panic("xentest: xenstore req_prod runs ahead of req_cons by more than the ring")
	}
	for cons != prod {
		w := s.in.Want()
		n := 0
		for n < len(w) && cons != prod {
			w[n] = s.Page[StoreReq+int(cons%StoreRing)]
			n++
			cons++
		}
		if e := s.in.Filled(n); e != 0 {
			panic("xentest: request with a payload above XENSTORE_PAYLOAD_MAX")
		}
		if s.in.Complete() {
			h, pl := s.in.Message()
			s.handle(Request{h.Type(), h.ReqID(), h.TxID(), string(pl)})
			s.in.Reset()
		}
	}
	s.set32(StoreReqCons, cons)
}

func fields(p string) []string {
	f := strings.Split(p, "\x00")
	if len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}

func (s *Store) handle(r Request) {
	s.Requests = append(s.Requests, r)
	reply := func(payload string) { s.queue(r.Type, r.ReqID, r.TxID, payload) }
	fail := func(name string) { s.queue(wire.Error, r.ReqID, r.TxID, name+"\x00") }
	var tx *transaction
	if r.TxID != 0 {
		if tx = s.txs[r.TxID]; tx == nil {
			fail("ENOENT")
			return
		}
	}
	f := fields(r.Payload)
	pathArg := func() (string, bool) {
		if len(f) == 0 || f[0] == "" {
			fail("EINVAL")
			return "", false
		}
		return s.abs(f[0]), true
	}
	// existing is pathArg for a node that must exist (ENOENT), with its value.
	existing := func() (p, v string, ok bool) {
		if p, ok = pathArg(); !ok {
			return "", "", false
		}
		if v, ok = s.lookup(tx, p); !ok {
			fail("ENOENT")
		}
		return p, v, ok
	}
	switch r.Type {
	case wire.Read:
		if _, v, ok := existing(); ok {
			reply(v)
		}
	case wire.Write:
		i := strings.IndexByte(r.Payload, 0)
		if i <= 0 {
			fail("EINVAL")
			return
		}
		s.change(tx, s.abs(r.Payload[:i]), r.Payload[i+1:], false)
		reply("OK\x00")
	case wire.Mkdir:
		p, ok := pathArg()
		if !ok {
			return
		}
		if _, ok := s.lookup(tx, p); !ok {
			s.change(tx, p, "", false)
		}
		reply("OK\x00")
	case wire.Rm:
		p, _, ok := existing()
		if !ok {
			return
		}
		s.change(tx, p, "", true)
		reply("OK\x00")
	case wire.Directory:
		p, _, ok := existing()
		if !ok {
			return
		}
		var b strings.Builder
		for _, c := range s.children(tx, p) {
			b.WriteString(c)
			b.WriteByte(0)
		}
		reply(b.String())
	case wire.Watch:
		if len(f) != 2 || f[0] == "" {
			fail("EINVAL")
			return
		}
		s.watches = append(s.watches, watch{path: f[0], token: f[1], abs: s.abs(f[0])})
		reply("OK\x00")
		s.InjectEvent(f[0], f[1]) // xenstored fires a new watch once
	case wire.Unwatch:
		for i, w := range s.watches {
			if len(f) == 2 && w.path == f[0] && w.token == f[1] {
				s.watches = append(s.watches[:i], s.watches[i+1:]...)
				reply("OK\x00")
				return
			}
		}
		fail("ENOENT")
	case wire.TransactionStart:
		id := s.nextTx
		s.nextTx++
		s.txs[id] = &transaction{writes: map[string]*string{}}
		s.queue(r.Type, r.ReqID, 0, fmt.Sprint(id)+"\x00")
	case wire.TransactionEnd:
		delete(s.txs, r.TxID)
		if tx == nil {
			fail("EINVAL")
			return
		}
		switch {
		case r.Payload == "F\x00":
		case r.Payload != "T\x00":
			fail("EINVAL")
			return
		case s.FailCommits > 0:
			s.FailCommits--
			fail("EAGAIN")
			return
		default:
			keys := make([]string, 0, len(tx.writes))
			for k := range tx.writes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				s.change(nil, k, deref(tx.writes[k]), tx.writes[k] == nil)
			}
		}
		reply("OK\x00")
	default:
		fail("ENOSYS")
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Store) lookup(tx *transaction, p string) (string, bool) {
	if tx != nil {
		for q := p; q != ""; q = parent(q) {
			if v, ok := tx.writes[q]; ok && v == nil {
				return "", false // removed in the transaction
			}
		}
		if v, ok := tx.writes[p]; ok {
			return *v, true
		}
	}
	v, ok := s.nodes[p]
	return v, ok
}

func (s *Store) change(tx *transaction, p, value string, remove bool) {
	if tx != nil {
		if remove {
			tx.writes[p] = nil
		} else {
			tx.writes[p] = &value
		}
		return
	}
	if remove {
		for k := range s.nodes {
			if k == p || strings.HasPrefix(k, p+"/") {
				delete(s.nodes, k)
			}
		}
	} else {
		s.put(p, value)
	}
	s.fire(p)
}

func (s *Store) children(tx *transaction, p string) []string {
	seen := map[string]bool{}
	add := func(k string) {
		if rest, ok := strings.CutPrefix(k, p+"/"); ok {
			name, _, _ := strings.Cut(rest, "/")
			seen[name] = true
		}
	}
	for k := range s.nodes {
		if _, ok := s.lookup(tx, k); ok {
			add(k)
		}
	}
	if tx != nil {
		for k, v := range tx.writes {
			if v != nil {
				add(k)
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fire queues a WATCH_EVENT for every watch at or above abs.
func (s *Store) fire(abs string) {
	for _, w := range s.watches {
		if abs != w.abs && !strings.HasPrefix(abs, w.abs+"/") {
			continue
		}
		path := abs
		if !strings.HasPrefix(w.path, "/") {
			path = strings.TrimPrefix(abs, s.Home+"/")
		}
		s.InjectEvent(path, w.token)
	}
}
