package virtio

// This file implements the driver's side of a split virtqueue (VIRTIO 1.2 §2.7), as byte-slice
// views with named offsets over memory the device reads and writes.
//
//	Descriptor Area: N descriptors (§2.7.5), 16 bytes each, 16-byte aligned
//	+0  le64 addr    physical address of the buffer
//	+8  le32 len
//	+12 le16 flags   NEXT 1, WRITE 2 (device writes the buffer)
//	+14 le16 next
//
//	Driver Area (available ring, §2.7.6), 2-byte aligned: 6 + 2N bytes
//	+0  le16 flags   NO_INTERRUPT 1
//	+2  le16 idx     where the driver puts the next entry (mod N), free-running
//	+4  le16 ring[N] heads of descriptor chains
//	+4+2N le16 used_event (EVENT_IDX only, not negotiated here)
//
//	Device Area (used ring, §2.7.8), 4-byte aligned: 6 + 8N bytes
//	+0  le16 flags   NO_NOTIFY 1
//	+2  le16 idx     where the device puts the next entry, free-running
//	+4  {le32 id; le32 len} ring[N]   head of a used chain, bytes the device wrote
//	+4+8N le16 avail_event

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
)

var le = binary.LittleEndian

// Memory gives a queue its device-visible memory: Alloc returns a zeroed, page-aligned 4 KiB
// page at an address the device can use (identity-mapped: the address is also the physical
// one), and Bytes views n bytes at such an address.
type Memory interface {
	Alloc() (uintptr, error)
	Bytes(addr uintptr, n int) []byte
}

// A Queue is the driver's side of one split virtqueue of size N (a power of 2, at most 256 here,
// so that each area fits a page).
type Queue struct {
	Index int
	N     int
	// Desc, Avail and Used are the physical addresses of the three areas, for the transport.
	DescAddr, AvailAddr, UsedAddr uintptr

	desc, avail, used []byte
	free              []uint16 // free descriptor indices
	lastUsed          uint16   // next used.ring entry to reap
	availIdx          uint16
	// The driver's own record of the chains it gave the device: which heads are out, and the
	// next link of each descriptor. Used trusts neither the used ring's ids nor the descriptor
	// table in shared memory: a broken device returning a chain twice must not free it twice.
	out  []bool
	next []uint16
	more []bool // the descriptor has a next one in its chain
}

// ErrQueueFull is returned when a chain does not fit in the free descriptors.
var ErrQueueFull = errors.New("virtio: queue full")

// NewQueue allocates the areas of queue index with n entries.
func NewQueue(mem Memory, index, n int) (*Queue, error) {
	if n <= 0 || n > 256 || n&(n-1) != 0 {
		return nil, errors.New("virtio: queue size must be a power of 2 up to 256")
	}
	q := &Queue{Index: index, N: n}
	var err error
	for _, a := range []*uintptr{&q.DescAddr, &q.AvailAddr, &q.UsedAddr} {
		if *a, err = mem.Alloc(); err != nil {
			return nil, err
		}
	}
	q.desc = mem.Bytes(q.DescAddr, spec.DescSize*n)
	q.avail = mem.Bytes(q.AvailAddr, 6+2*n)
	q.used = mem.Bytes(q.UsedAddr, 6+spec.UsedElem*n)
	q.free = make([]uint16, n)
	for i := range q.free {
		q.free[i] = uint16(n - 1 - i)
	}
	q.out, q.next, q.more = make([]bool, n), make([]uint16, n), make([]bool, n)
	return q, nil
}

// A Buffer is one piece of a descriptor chain.
type Buffer struct {
	Addr  uintptr
	Len   int
	Write bool // the device writes it (a receive buffer, a status byte)
}

// Free returns the number of free descriptors.
func (q *Queue) Free() int { return len(q.free) }

// Add makes a chain of bufs available to the device and returns its head. The device sees it
// after the next Publish.
func (q *Queue) Add(bufs ...Buffer) (uint16, error) {
	if len(bufs) == 0 || len(bufs) > len(q.free) {
		return 0, ErrQueueFull
	}
	var head, prev uint16
	for i, b := range bufs {
		d := q.free[len(q.free)-1]
		q.free = q.free[:len(q.free)-1]
		e := q.desc[int(d)*spec.DescSize:]
		le.PutUint64(e[spec.DescAddr:], uint64(b.Addr))
		le.PutUint32(e[spec.DescLen:], uint32(b.Len))
		var flags uint16
		if b.Write {
			flags |= spec.DescFlagWrite
		}
		le.PutUint16(e[spec.DescFlags:], flags)
		le.PutUint16(e[spec.DescNext:], 0)
		q.more[d] = false
		if i == 0 {
			head = d
		} else {
			p := q.desc[int(prev)*spec.DescSize:]
			le.PutUint16(p[spec.DescFlags:], le.Uint16(p[spec.DescFlags:])|spec.DescFlagNext)
			le.PutUint16(p[spec.DescNext:], d)
			q.next[prev], q.more[prev] = d, true
		}
		prev = d
	}
	q.out[head] = true
	le.PutUint16(q.avail[spec.RingStart+2*int(q.availIdx%uint16(q.N)):], head)
	q.availIdx++
	return head, nil
}

// Publish makes the chains added so far visible to the device (§2.7.13: the ring entries before
// idx, with a barrier between). The caller then notifies the device unless NeedNotify says not.
func (q *Queue) Publish() {
	// The ring entries must be visible before idx: an atomic store orders them (x86-64 stores are
	// not reordered with older stores; the atomic keeps the compiler from reordering too).
	atomic.StoreUint32((*uint32)(ptrTo(q.avail[0:4])), uint32(q.availIdx)<<16|uint32(le.Uint16(q.avail[spec.RingFlags:])))
}

// NeedNotify reports whether the device asked to be notified of new buffers (§2.7.10: the used
// ring's NO_NOTIFY flag).
func (q *Queue) NeedNotify() bool {
	return atomic.LoadUint32((*uint32)(ptrTo(q.used[0:4])))&spec.UsedNoNotify == 0
}

// SetInterrupts asks the device to interrupt (or not) when it uses buffers (§2.7.7:
// NO_INTERRUPT is a hint).
func (q *Queue) SetInterrupts(on bool) {
	var f uint16
	if !on {
		f = spec.AvailNoInterrupt
	}
	le.PutUint16(q.avail[spec.RingFlags:], f)
}

// Used returns the next chain the device has used: its head and the bytes it wrote. ok is false
// when there is none. The chain's descriptors are free again.
func (q *Queue) Used() (head uint16, n int, ok bool) {
	idx := uint16(atomic.LoadUint32((*uint32)(ptrTo(q.used[0:4]))) >> 16)
	if idx == q.lastUsed {
		return 0, 0, false
	}
	e := q.used[spec.RingStart+spec.UsedElem*int(q.lastUsed%uint16(q.N)):]
	id, length := le.Uint32(e), le.Uint32(e[4:])
	q.lastUsed++
	if int(id) >= q.N || !q.out[id] {
		// A device bug: an id it was not given, or a chain it returned already. Dropping the
		// entry keeps the free list right; the caller sees the next one.
		return q.Used()
	}
	head = uint16(id)
	q.out[head] = false
	for d := head; ; d = q.next[d] {
		q.free = append(q.free, d)
		if !q.more[d] {
			break
		}
	}
	return head, int(length), true
}

func ptrTo(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
