// Package blkfront drives a Xen paravirtual block device (vbd: /dev/xvda ...) from a domain: one
// shared request ring with the backend (Linux blkback in dom0), data in granted pages, READ,
// WRITE and FLUSH_DISKCACHE, so that fsync means the data reached the backend's disk.
//
// Reference: Linux include/xen/interface/io/blkif.h and xen/include/public/io/blkif.h (struct
// blkif_request, blkif_request_segment, blkif_response, BLKIF_OP_*, BLKIF_RSP_*, VDISK_*, the
// xenstore keys), xen/include/public/io/ring.h, Xen 4.17; xen-pvh-abi.md §9 and
// net-storage-notes.md §10.
//
// Ring entries (32 per one-page ring: (4096 - 64) / 112 rounded down to a power of two):
//
//	blkif_request  (112 B)  u8 operation @0, u8 nr_segments @1, u16 handle @2, u64 id @8,
//	                        u64 sector_number @16, blkif_request_segment seg[11] @24
//	blkif_request_segment (8 B) u32 gref @0, u8 first_sect @4, u8 last_sect @5
//	blkif_response (16 B)   u64 id @0, u8 operation @8, i16 status @10
//
// Sector numbers, first_sect and last_sect are in 512-byte units whatever the backend's
// sector-size says; one request moves at most 11 segments of one page: 44 KiB.
//
// # Handshake (xenbus)
//
// Once the backend is in InitWait, the driver grants the ring page and its buffers to the
// backend's domain, allocates an unbound event channel, writes ring-ref, event-channel and
// protocol = x86_64-abi with state Initialised; the backend then publishes sectors, info
// (VDISK_READONLY), sector-size and feature-flush-cache and goes to Connected, and the driver
// reads them and goes to Connected.
//
// # Memory and requests
//
// The ring and the buffers are identity-mapped frames (Memory; relay.DMA in a kernel), granted
// once at set-up and kept. The driver has Slots request slots, each with 11 pages of buffer; a
// slot's index is the request id, and a slot is used again only after the backend's response
// for it, so the ring (32 entries) never fills.
//
// # Contexts
//
// The driver runs in program context. ReadAt, WriteAt and Flush may be called from any goroutine
// except the relay server's: they wait for the response, which Interrupt (on the relay server,
// when the event channel fires) delivers. A backend that leaves Connected (the device detached)
// takes the device down: waiting and later calls fail with the reason (Err).
package blkfront

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/drivers/sectorio"
	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
	"github.com/unikgen/unikgen/drivers/xen/ring"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
)

// Ring entry layouts (io/blkif.h).
const (
	RequestSize  = 112
	ResponseSize = 16

	reqOperation  = 0
	reqNrSegments = 1
	reqHandle     = 2
	reqID         = 8
	reqSector     = 16
	reqSegments   = 24
	segmentSize   = 8
	segGref       = 0
	segFirstSect  = 4
	segLastSect   = 5

	rspID        = 0
	rspOperation = 8
	rspStatus    = 10
)

// Operations and status values (io/blkif.h).
const (
	OpRead           = 0
	OpWrite          = 1
	OpFlushDiskCache = 3

	StatusOK           = 0
	StatusError        = -1
	StatusNotSupported = -2
)

// VDISK_* bits of the backend's info key.
const (
	infoCDROM     = 1
	infoRemovable = 2
	infoReadOnly  = 4
)

// Sizes.
const (
	// SectorSize is the unit of the ring's sector numbers (always 512 bytes).
	SectorSize = 512
	// MaxSegments is the number of data pages one request carries.
	MaxSegments = 11
	// MaxRequestBytes is the data one request moves.
	MaxRequestBytes = MaxSegments * pageSize
	// RingSize is the number of entries of the one-page ring.
	RingSize = 32
	// Slots is the number of requests in flight at most.
	Slots    = 4
	pageSize = 4096
	// ConnectTimeout bounds each wait for the backend during the handshake.
	ConnectTimeout = 30 * time.Second
)

// Memory gives the driver identity-mapped frames (relay.DMA in a kernel).
type Memory interface {
	// Alloc returns a zeroed 4 KiB frame; its address is its physical address.
	Alloc() (uintptr, error)
	// Bytes views n bytes at addr.
	Bytes(addr uintptr, n int) []byte
}

// ErrReadOnly is returned for a write to a device the backend exports read-only.
var ErrReadOnly = syscall.EROFS

// Device is a Xen block device.
type Device struct {
	fe      *xenbus.Frontend
	mem     Memory
	port    uint32
	ringRef uint32
	handle  uint16
	name    string

	sectors    uint64 // 512-byte sectors
	sectorSize int    // the backend's logical sector size: the unit of writes
	readOnly   bool
	flush      bool // feature-flush-cache: writes are durable after a FLUSH_DISKCACHE

	mu      sync.Mutex // the ring and pending
	ring    *ring.Front
	pending [Slots]bool
	slots   chan *slot
	all     [Slots]*slot

	life xenbus.Lifetime // up, or down and why

	// BadResponses counts responses naming no request in flight (for tests and diagnostics).
	BadResponses uint64
}

type slot struct {
	id     int
	pages  [MaxSegments]uintptr
	refs   [MaxSegments]uint32
	status int16
	done   chan struct{}
}

// New prepares the device of frontend fe: it waits for the backend to be ready (InitWait),
// grants the ring and the buffers (from mem) and allocates the event channel. Route the event
// channel (Port) to a call of Interrupt, then call Connect.
func New(fe *xenbus.Frontend, mem Memory) (*Device, error) {
	d := &Device{fe: fe, mem: mem, slots: make(chan *slot, Slots), name: "xen vbd " + fe.ID}
	d.life.Init(fe, "blkfront")
	vdev, err := fe.ReadUint("virtual-device", 1<<32-1)
	if err != nil {
		return nil, err
	}
	d.handle = uint16(vdev)
	if n := DiskName(vdev); n != "" {
		d.name += " (" + n + ")"
	}
	if _, err := fe.WaitBackend(ConnectTimeout, xenbus.InitWait); err != nil {
		return nil, fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	if err := d.setup(); err != nil {
		return nil, fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	return d, nil
}

// DiskName returns the Linux name of a virtual-device number of the xvd major (202 << 8 | disk
// << 4 | partition: 51712 is xvda), or "" for other numbers.
func DiskName(vdev uint64) string {
	if vdev>>8 != 202 || vdev&15 != 0 {
		return ""
	}
	return "xvd" + string(rune('a'+(vdev>>4)&15))
}

func (d *Device) grant(addr uintptr) (uint32, error) {
	ref, ok := gnttab.Grant(d.fe.BackendID, uint64(addr)/pageSize, false)
	if !ok {
		return 0, errors.New("out of grant references")
	}
	return ref, nil
}

func (d *Device) setup() error {
	p, err := d.mem.Alloc()
	if err != nil {
		return fmt.Errorf("ring page: %w", err)
	}
	if d.ringRef, err = d.grant(p); err != nil {
		return err
	}
	d.ring = ring.Init(p, RequestSize)
	if d.ring.Size() != RingSize {
		return fmt.Errorf("ring size %d, want %d", d.ring.Size(), RingSize)
	}
	for i := range d.all {
		s := &slot{id: i, done: make(chan struct{}, 1)}
		for j := range s.pages {
			if s.pages[j], err = d.mem.Alloc(); err != nil {
				return fmt.Errorf("buffers: %w", err)
			}
			// Writable: the backend writes the data of reads into them.
			if s.refs[j], err = d.grant(s.pages[j]); err != nil {
				return err
			}
		}
		d.all[i] = s
		d.slots <- s
	}
	port, err := d.fe.Events.AllocUnbound(d.fe.BackendID)
	if err != nil {
		return err
	}
	d.port = port
	return nil
}

// Port returns the event channel, to be routed to Interrupt before Connect.
func (d *Device) Port() uint32 { return d.port }

// Connect publishes the ring and waits until the backend is connected, reads the disk's size
// and features, and connects the frontend. Then a goroutine watches the backend: when it leaves
// Connected, the device goes down.
func (d *Device) Connect() error {
	fe := d.fe
	err := fe.Publish(xenbus.Initialised,
		"ring-ref", strconv.FormatUint(uint64(d.ringRef), 10),
		"event-channel", strconv.FormatUint(uint64(d.port), 10),
		"protocol", "x86_64-abi",
	)
	if err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	if _, err := fe.WaitBackend(ConnectTimeout, xenbus.Connected); err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	if d.sectors, err = fe.ReadBackendUint("sectors", 1<<54, 0); err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	info, err := fe.ReadBackendUint("info", 1<<32-1, 0)
	if err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	d.readOnly = info&infoReadOnly != 0
	ss, err := fe.ReadBackendUint("sector-size", 1<<16, SectorSize)
	if err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	if ss < SectorSize || ss > pageSize || ss&(ss-1) != 0 {
		return fmt.Errorf("blkfront: %v: sector-size %d: want a power of two from 512 to 4096", fe, ss)
	}
	d.sectorSize = int(ss)
	flush, err := fe.ReadBackendUint("feature-flush-cache", 1, 0)
	if err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	d.flush = flush == 1
	if err := fe.Switch(xenbus.Connected); err != nil {
		return fmt.Errorf("blkfront: %v: %w", fe, err)
	}
	d.life.Watch(ConnectTimeout)
	return nil
}

// ErrClosed is the error of a device that Close took down.
var ErrClosed = errors.New("blkfront: device closed")

// Close takes the device down (ErrClosed) and stops watching the backend. It does not
// disconnect from the backend.
func (d *Device) Close() { d.life.Close(ErrClosed) }

// fail takes the device down with err (the first reason wins).
func (d *Device) fail(err error) { d.life.Fail(err) }

// Err returns why the device is down, or nil.
func (d *Device) Err() error { return d.life.Err() }

// Interrupt consumes the responses and wakes their callers. Call it when the event channel
// fires.
func (d *Device) Interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Err() != nil {
		return
	}
	for {
		n, err := d.ring.Pending()
		if err != nil {
			d.fail(fmt.Errorf("blkfront: %v: %w", d.fe, err))
			return
		}
		for ; n > 0; n-- {
			r := d.ring.Response()
			d.ring.RspCons++
			id := hw.Load64(r + rspID)
			if id >= Slots || !d.pending[id] {
				d.BadResponses++
				continue
			}
			d.pending[id] = false
			s := d.all[id]
			s.status = int16(hw.Load16(r + rspStatus))
			s.done <- struct{}{}
		}
		if !d.ring.FinalCheck() {
			return
		}
	}
}

// String names the device.
func (d *Device) String() string { return d.name }

// Size returns the device's size in bytes.
func (d *Device) Size() int64 { return int64(d.sectors * SectorSize) }

// ReadOnly reports whether the backend exports the device read-only.
func (d *Device) ReadOnly() bool { return d.readOnly }

// do runs one request op at sector with n bytes of data (n <= MaxRequestBytes, a multiple of
// SectorSize). For a write, fill copies the data in; for a read, drain copies it out.
func (d *Device) do(op uint8, sector uint64, n int, fill, drain func(s *slot)) error {
	var s *slot
	select {
	case s = <-d.slots:
	case <-d.life.Down():
		return d.Err()
	}
	if fill != nil {
		fill(s)
	}
	d.mu.Lock()
	if err := d.Err(); err != nil {
		d.mu.Unlock()
		d.slots <- s
		return err
	}
	r := d.ring.Request()
	segs := (n + pageSize - 1) / pageSize
	hw.Store8(r+reqOperation, op)
	hw.Store8(r+reqNrSegments, uint8(segs))
	hw.Store16(r+reqHandle, d.handle)
	hw.Store64(r+reqID, uint64(s.id))
	hw.Store64(r+reqSector, sector)
	for i := 0; i < segs; i++ {
		l := min(n-i*pageSize, pageSize)
		g := r + reqSegments + uintptr(i*segmentSize)
		hw.Store32(g+segGref, s.refs[i])
		hw.Store8(g+segFirstSect, 0)
		hw.Store8(g+segLastSect, uint8(l/SectorSize-1))
	}
	d.ring.ReqProdPvt++
	d.pending[s.id] = true
	if d.ring.Push() {
		d.fe.Events.Notify(d.port)
	}
	d.mu.Unlock()
	select {
	case <-s.done:
	case <-d.life.Down():
		// The slot stays out: its pages may still be mapped by the backend.
		return d.Err()
	}
	defer func() { d.slots <- s }()
	switch s.status {
	case StatusOK:
	case StatusNotSupported:
		return syscall.EOPNOTSUPP
	default:
		return fmt.Errorf("%v: operation %d at sector %d: status %d: %w", d, op, sector, s.status, syscall.EIO)
	}
	if drain != nil {
		drain(s)
	}
	return nil
}

// copyPages copies between b and the slot's pages, in (pages to b) or out.
func (d *Device) copyPages(s *slot, b []byte, in bool) {
	sectorio.CopyPages(b, pageSize, in, func(i, n int) []byte { return d.mem.Bytes(s.pages[i], n) })
}

// ReadSectors reads len(b) bytes (a multiple of SectorSize) from 512-byte sector on.
func (d *Device) ReadSectors(b []byte, sector uint64) error {
	if len(b)%SectorSize != 0 || sector+uint64(len(b)/SectorSize) > d.sectors {
		return fmt.Errorf("%v: read of %d bytes at sector %d: %w", d, len(b), sector, syscall.EINVAL)
	}
	return sectorio.Split(b, sector, MaxRequestBytes, func(chunk []byte, sector uint64) error {
		return d.do(OpRead, sector, len(chunk), nil, func(s *slot) { d.copyPages(s, chunk, true) })
	})
}

// WriteSectors writes len(b) bytes (a multiple of SectorSize) from 512-byte sector on.
func (d *Device) WriteSectors(b []byte, sector uint64) error {
	if d.readOnly {
		return ErrReadOnly
	}
	if len(b)%SectorSize != 0 || sector+uint64(len(b)/SectorSize) > d.sectors {
		return fmt.Errorf("%v: write of %d bytes at sector %d: %w", d, len(b), sector, syscall.EINVAL)
	}
	return sectorio.Split(b, sector, MaxRequestBytes, func(chunk []byte, sector uint64) error {
		return d.do(OpWrite, sector, len(chunk), func(s *slot) { d.copyPages(s, chunk, false) }, nil)
	})
}

// Flush makes the completed writes durable (BLKIF_OP_FLUSH_DISKCACHE). Without
// feature-flush-cache the backend writes through and there is nothing to do; a backend that
// answers EOPNOTSUPP has no cache to flush either (Linux blkfront then stops flushing too).
func (d *Device) Flush() error {
	if !d.flush {
		return nil
	}
	err := d.do(OpFlushDiskCache, 0, 0, nil, nil)
	if err == syscall.EOPNOTSUPP {
		d.flush = false
		return nil
	}
	return err
}

// ReadAt implements io.ReaderAt at any byte offset (whole sectors are read around it).
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	return sectorio.ReadAt(d, int64(d.sectorSize), p, off)
}

// WriteAt implements io.WriterAt at any byte offset: transfers cover whole sectors of the
// backend's sector-size, so the partial ones at either end are read, changed and written back.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	return sectorio.WriteAt(d, int64(d.sectorSize), p, off)
}
