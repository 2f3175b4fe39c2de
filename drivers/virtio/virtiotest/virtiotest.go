// Package virtiotest is an in-memory virtio device for host tests of the drivers: it implements
// virtio.Transport over plain memory and plays the device's side of the split virtqueues
// (VIRTIO 1.2 §2.7): it takes the chains the driver made available and returns them used.
package virtiotest

import (
	"encoding/binary"
	"fmt"
	"sync"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/virtio"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
)

var le = binary.LittleEndian

// Memory is device memory from the Go heap: page-aligned pages whose addresses the fake device
// dereferences. The pages stay referenced by the Memory, so they never move or go away.
type Memory struct {
	mu    sync.Mutex
	pages [][]byte
	// Limit, when non-zero, is the number of pages Alloc gives before it fails.
	Limit int
}

// Alloc implements virtio.Memory.
func (m *Memory) Alloc() (uintptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Limit > 0 && len(m.pages) >= m.Limit {
		return 0, fmt.Errorf("virtiotest: out of device memory (%d pages)", m.Limit)
	}
	b := make([]byte, 8192)
	a := (uintptr(unsafe.Pointer(&b[0])) + 4095) &^ 4095
	m.pages = append(m.pages, b)
	return a, nil
}

// Bytes implements virtio.Memory.
func (m *Memory) Bytes(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(ptr(addr)), n)
}

func ptr(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }

// A Desc is one descriptor of a chain, as the device sees it.
type Desc struct {
	Addr  uintptr
	Len   int
	Write bool
}

type queue struct {
	size               int
	desc, avail, used  uintptr
	enabled            bool
	lastAvail, usedIdx uint16
}

// Device is a fake virtio device.
type Device struct {
	Mem      *Memory
	Type     int
	Offered  uint64 // features the device offers
	Accepted uint64 // features the driver wrote
	// RejectFeatures makes the device clear FEATURES_OK (§3.1.1 step 6).
	RejectFeatures bool
	Cfg            []byte // device-specific configuration
	MaxQueue       int    // QueueMax of every queue (0: 256)
	Notified       []int  // queue indices the driver notified, in order
	// Line and Route record the interrupt routing the driver asked for.
	Line  int
	Route bool

	status uint8
	queues [4]queue
}

// DeviceID implements virtio.Transport.
func (d *Device) DeviceID() int { return d.Type }

// Status implements virtio.Transport.
func (d *Device) Status() uint8 { return d.status }

// SetStatus implements virtio.Transport.
func (d *Device) SetStatus(s uint8) {
	if s == 0 {
		d.status, d.Accepted, d.queues = 0, 0, [4]queue{}
		return
	}
	if s&spec.StatusFeaturesOK != 0 && (d.RejectFeatures || d.Accepted&^d.Offered != 0) {
		s &^= spec.StatusFeaturesOK
	}
	d.status = s
}

// DeviceFeatures implements virtio.Transport.
func (d *Device) DeviceFeatures() uint64 { return d.Offered }

// SetDriverFeatures implements virtio.Transport.
func (d *Device) SetDriverFeatures(f uint64) { d.Accepted = f }

// QueueMax implements virtio.Transport.
func (d *Device) QueueMax(q int) int {
	if q >= len(d.queues) || d.queues[q].enabled {
		return 0
	}
	if d.MaxQueue != 0 {
		return d.MaxQueue
	}
	return 256
}

// EnableQueue implements virtio.Transport.
func (d *Device) EnableQueue(q *virtio.Queue) error {
	d.queues[q.Index] = queue{size: q.N, desc: q.DescAddr, avail: q.AvailAddr, used: q.UsedAddr, enabled: true}
	return nil
}

// Notify implements virtio.Transport.
func (d *Device) Notify(q int) { d.Notified = append(d.Notified, q) }

// Config8 implements virtio.Transport.
func (d *Device) Config8(off int) uint8 { return d.Cfg[off] }

// Config16 implements virtio.Transport.
func (d *Device) Config16(off int) uint16 { return le.Uint16(d.Cfg[off:]) }

// Config32 implements virtio.Transport.
func (d *Device) Config32(off int) uint32 { return le.Uint32(d.Cfg[off:]) }

// Interrupt implements virtio.Transport.
func (d *Device) Interrupt(line int, route virtio.RouteFunc) error {
	d.Line, d.Route = line, true
	return nil
}

func (d *Device) String() string { return "virtiotest" }

// Ready reports whether the driver set DRIVER_OK.
func (d *Device) Ready() bool { return d.status&spec.StatusDriverOK != 0 }

// Pop takes the next chain the driver made available on queue q: its head and descriptors.
func (d *Device) Pop(q int) (head uint16, chain []Desc, ok bool) {
	qu := &d.queues[q]
	if !qu.enabled {
		return 0, nil, false
	}
	avail := d.Mem.Bytes(qu.avail, 4+2*qu.size)
	if le.Uint16(avail[2:]) == qu.lastAvail {
		return 0, nil, false
	}
	head = le.Uint16(avail[4+2*int(qu.lastAvail%uint16(qu.size)):])
	qu.lastAvail++
	desc := d.Mem.Bytes(qu.desc, 16*qu.size)
	for i, n := head, 0; ; n++ {
		if int(i) >= qu.size || n >= qu.size {
			panic(fmt.Sprintf("virtiotest: bad descriptor chain from %d", head))
		}
		e := desc[16*int(i):]
		flags := le.Uint16(e[12:])
		chain = append(chain, Desc{Addr: uintptr(le.Uint64(e)), Len: int(le.Uint32(e[8:])), Write: flags&spec.DescFlagWrite != 0})
		if flags&spec.DescFlagNext == 0 {
			break
		}
		i = le.Uint16(e[14:])
	}
	return head, chain, true
}

// Push returns the chain at head to the driver as used, with n bytes written.
func (d *Device) Push(q int, head uint16, n int) {
	qu := &d.queues[q]
	used := d.Mem.Bytes(qu.used, 4+8*qu.size)
	e := used[4+8*int(qu.usedIdx%uint16(qu.size)):]
	le.PutUint32(e, uint32(head))
	le.PutUint32(e[4:], uint32(n))
	qu.usedIdx++
	le.PutUint16(used[2:], qu.usedIdx)
}

// PushRaw puts an arbitrary used element (id, n) on queue q, as a broken device might.
func (d *Device) PushRaw(q int, id uint32, n uint32) {
	qu := &d.queues[q]
	used := d.Mem.Bytes(qu.used, 4+8*qu.size)
	e := used[4+8*int(qu.usedIdx%uint16(qu.size)):]
	le.PutUint32(e, id)
	le.PutUint32(e[4:], n)
	qu.usedIdx++
	le.PutUint16(used[2:], qu.usedIdx)
}

// Bytes returns the memory of a descriptor.
func (d *Device) Bytes(c Desc) []byte { return d.Mem.Bytes(c.Addr, c.Len) }
