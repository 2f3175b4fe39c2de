package console

// This file implements the driver's side of a split virtqueue (VIRTIO 1.2 §2.7) for kernel
// context: a pointer-free value holding the addresses of the three areas, read and written with
// atomic accesses where the device may look at the same time. (drivers/virtio's Queue is the
// program-context one: it keeps slices and allocates.)
//
//	descriptor (16 bytes): le64 addr, le32 len, le16 flags (NEXT 1, WRITE 2), le16 next
//	available ring: le16 flags (NO_INTERRUPT 1), le16 idx, le16 ring[size]
//	used ring:      le16 flags (NO_NOTIFY 1),    le16 idx, {le32 id, le32 len} ring[size]

import (
	"sync/atomic"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
)

// vring is one split virtqueue. Its areas are at desc, avail and used; size is a power of 2.
type vring struct {
	index             int // the queue's number on the device
	size              uint16
	desc, avail, used uintptr
	availIdx          uint16 // the driver's next available entry (free-running)
	lastUsed          uint16 // the next used entry to read (free-running)
	noIntr            bool   // NO_INTERRUPT is set
}

// areaBytes returns the bytes the three areas of a queue of size n take, each aligned as the
// specification asks (descriptors 16, available ring 2, used ring 4), laid out one after the
// other from a 16-byte aligned start.
func areaBytes(n uint16) uintptr {
	return uintptr(n)*spec.DescSize + (6+2*uintptr(n)+3)&^3 + 6 + 8*uintptr(n)
}

// layout places a queue of size n at mem (16-byte aligned, areaBytes(n) zeroed bytes).
func (q *vring) layout(index int, n uint16, mem uintptr) {
	q.index, q.size = index, n
	q.desc = mem
	q.avail = mem + uintptr(n)*spec.DescSize
	q.used = q.avail + (6+2*uintptr(n)+3)&^3
	q.availIdx, q.lastUsed, q.noIntr = 0, 0, false
}

// setDesc fills descriptor i: a single buffer (no chain).
func (q *vring) setDesc(i uint16, addr uintptr, n uint32, write bool) {
	d := q.desc + uintptr(i)*spec.DescSize
	*arch.U64(d) = uint64(addr)
	*arch.U32(d + 8) = n
	var flags uint32 // flags and next, both 0 but for WRITE
	if write {
		flags = spec.DescFlagWrite
	}
	*arch.U32(d + 12) = flags
}

// push puts descriptor id in the next available entry; the device sees it after publish.
func (q *vring) push(id uint16) {
	p := q.avail + 4 + 2*uintptr(q.availIdx&(q.size-1))
	*(*uint16)(arch.Ptr(p)) = id
	q.availIdx++
}

// publish makes the entries pushed so far visible to the device (§2.7.13): the available index,
// stored after the entries (and with the flags, which share its word).
func (q *vring) publish() {
	var flags uint32
	if q.noIntr {
		flags = spec.AvailNoInterrupt
	}
	atomic.StoreUint32((*uint32)(arch.Ptr(q.avail)), uint32(q.availIdx)<<16|flags)
}

// setInterrupts asks the device to interrupt (or not) when it uses buffers (§2.7.7: a hint).
func (q *vring) setInterrupts(on bool) {
	q.noIntr = !on
	q.publish()
}

// usedIdx returns the device's used index.
func (q *vring) usedIdx() uint16 {
	return uint16(atomic.LoadUint32((*uint32)(arch.Ptr(q.used))) >> 16)
}

// needNotify reports whether the device wants to hear of new buffers (the used ring's NO_NOTIFY).
func (q *vring) needNotify() bool {
	return atomic.LoadUint32((*uint32)(arch.Ptr(q.used)))&spec.UsedNoNotify == 0
}

// nextUsed returns the next used entry (the descriptor id and the bytes the device wrote), if the
// device has used one more. A device that claims more entries than the queue holds is believed
// for at most size of them.
func (q *vring) nextUsed() (id, n uint32, ok bool) {
	idx := q.usedIdx()
	if idx == q.lastUsed {
		return 0, 0, false
	}
	if idx-q.lastUsed > q.size {
		q.lastUsed = idx - q.size // a corrupt index: skip to the entries that can exist
	}
	e := q.used + 4 + 8*uintptr(q.lastUsed&(q.size-1))
	q.lastUsed++
	return *arch.U32(e), *arch.U32(e + 4), true
}
