// Package blk drives a virtio block device (VIRTIO 1.2 §5.2): one request queue, reads and
// writes of 512-byte sectors, and FLUSH, so that fsync means the data is on the host's disk.
//
// A request is one descriptor chain (§5.2.6): a 16-byte header (le32 type, le32 reserved, le64
// sector) the device reads, the data (read by the device for OUT, written for IN), and a status
// byte the device writes (OK 0, IOERR 1, UNSUPP 2). Data goes through bounce buffers of
// identity-mapped frames (a device never sees Go heap memory): each request slot owns a header
// frame and MaxRequestBytes of data frames, one descriptor per 4 KiB frame.
//
// The driver runs in program context. ReadAt, WriteAt and Flush may be called from any
// goroutine except the relay server's: they wait for the completion, which Interrupt (on the
// relay server, when the device's interrupt fires) delivers.
package blk

import (
	"fmt"
	"sync"
	"syscall"

	"github.com/unikgen/unikgen/drivers/sectorio"
	"github.com/unikgen/unikgen/drivers/virtio"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
)

// Feature bits (§5.2.3).
const (
	FeatureSizeMax  = 1 << 1
	FeatureSegMax   = 1 << 2
	FeatureRO       = 1 << 5
	FeatureBlkSize  = 1 << 6
	FeatureFlush    = 1 << 9
	FeatureConfigWC = 1 << 11
)

// Configuration layout (§5.2.4).
const (
	configCapacity = 0  // le64, 512-byte sectors
	configSegMax   = 12 // le32, with SEG_MAX
)

// Request types and status values (§5.2.6).
const (
	typeIn    = 0
	typeOut   = 1
	typeFlush = 4

	statusOK     = 0
	statusIOErr  = 1
	statusUnsupp = 2
)

// SectorSize is the unit of the device's addresses.
const SectorSize = 512

const (
	queueSize = 128
	pageSize  = 4096
	// MaxRequestBytes is the data one request moves: 16 frames.
	MaxRequestBytes = 16 * pageSize
	slots           = 4
)

// ErrReadOnly is returned for a write to a device that the host made read-only.
var ErrReadOnly = syscall.EROFS

// Device is a virtio block device.
type Device struct {
	dev      *virtio.Device
	q        *virtio.Queue
	name     string
	capacity uint64 // sectors
	readOnly bool
	flush    bool // FLUSH negotiated: writes are durable only after a flush

	mu      sync.Mutex // the queue
	slots   chan *slot
	pending map[uint16]*slot
}

type slot struct {
	hdr  uintptr   // header at +0, status byte at +16
	data []uintptr // frames
	done chan struct{}
}

// New initialises the block device on t, using mem for its rings and buffers.
func New(t virtio.Transport, mem virtio.Memory) (*Device, error) {
	if t.DeviceID() != spec.DeviceBlock {
		return nil, fmt.Errorf("%v: device type %d is not a block device", t, t.DeviceID())
	}
	vd, err := virtio.Init(t, mem, FeatureFlush|FeatureRO|FeatureSegMax)
	if err != nil {
		return nil, err
	}
	d := &Device{
		dev: vd, name: t.String(), pending: map[uint16]*slot{}, slots: make(chan *slot, slots),
		capacity: uint64(t.Config32(configCapacity)) | uint64(t.Config32(configCapacity+4))<<32,
		readOnly: vd.Features&FeatureRO != 0,
		flush:    vd.Features&FeatureFlush != 0,
	}
	if vd.Features&FeatureSegMax != 0 {
		if segMax := t.Config32(configSegMax); segMax != 0 && segMax < MaxRequestBytes/pageSize {
			return nil, fmt.Errorf("%v: the device takes %d data segments a request, the driver needs %d", t, segMax, MaxRequestBytes/pageSize)
		}
	}
	if d.q, err = vd.Queue(0, queueSize); err != nil {
		return nil, err
	}
	for i := 0; i < slots; i++ {
		s := &slot{done: make(chan struct{}, 1)}
		if s.hdr, err = mem.Alloc(); err != nil {
			return nil, fmt.Errorf("virtio-blk buffers: %w", err)
		}
		for j := 0; j < MaxRequestBytes/pageSize; j++ {
			p, err := mem.Alloc()
			if err != nil {
				return nil, fmt.Errorf("virtio-blk buffers: %w", err)
			}
			s.data = append(s.data, p)
		}
		d.slots <- s
	}
	vd.Ready()
	return d, nil
}

// Interrupts routes the device's interrupt to relay line line; Interrupt must then run when the
// line fires.
func (d *Device) Interrupts(line int, route virtio.RouteFunc) error {
	return d.dev.T.Interrupt(line, route)
}

// Interrupt reaps the completed requests and wakes their callers.
func (d *Device) Interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		head, _, ok := d.q.Used()
		if !ok {
			return
		}
		if s := d.pending[head]; s != nil {
			delete(d.pending, head)
			s.done <- struct{}{}
		}
	}
}

// String names the device's location.
func (d *Device) String() string { return d.name }

// Size returns the device's size in bytes.
func (d *Device) Size() int64 { return int64(d.capacity * SectorSize) }

// ReadOnly reports whether the host made the device read-only.
func (d *Device) ReadOnly() bool { return d.readOnly }

// do runs one request of type typ at sector with n bytes of data (n <= MaxRequestBytes, a
// multiple of SectorSize). For OUT, fill copies the data in; for IN, drain copies it out.
func (d *Device) do(typ uint32, sector uint64, n int, fill, drain func(s *slot)) error {
	s := <-d.slots
	defer func() { d.slots <- s }()
	h := d.dev.Mem.Bytes(s.hdr, 17)
	le32(h[0:], typ)
	le32(h[4:], 0)
	le64(h[8:], sector)
	h[16] = 0xff
	bufs := []virtio.Buffer{{Addr: s.hdr, Len: 16}}
	if fill != nil {
		fill(s)
	}
	for i := 0; n > 0; i++ {
		l := min(n, pageSize)
		bufs = append(bufs, virtio.Buffer{Addr: s.data[i], Len: l, Write: typ == typeIn})
		n -= l
	}
	bufs = append(bufs, virtio.Buffer{Addr: s.hdr + 16, Len: 1, Write: true})
	d.mu.Lock()
	head, err := d.q.Add(bufs...)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	d.pending[head] = s
	d.dev.Kick(d.q)
	d.mu.Unlock()
	<-s.done
	switch st := d.dev.Mem.Bytes(s.hdr+16, 1)[0]; st {
	case statusOK:
	case statusUnsupp:
		return syscall.EOPNOTSUPP
	default:
		return fmt.Errorf("%v: request %d at sector %d: status %d: %w", d, typ, sector, st, syscall.EIO)
	}
	if drain != nil {
		drain(s)
	}
	return nil
}

// copyFrames copies between b and the slot's frames, in (frames to b) or out.
func (d *Device) copyFrames(s *slot, b []byte, in bool) {
	sectorio.CopyPages(b, pageSize, in, func(i, n int) []byte { return d.dev.Mem.Bytes(s.data[i], n) })
}

// ReadSectors reads len(b) bytes (a multiple of SectorSize) from sector on.
func (d *Device) ReadSectors(b []byte, sector uint64) error {
	return sectorio.Split(b, sector, MaxRequestBytes, func(chunk []byte, sector uint64) error {
		return d.do(typeIn, sector, len(chunk), nil, func(s *slot) { d.copyFrames(s, chunk, true) })
	})
}

// WriteSectors writes len(b) bytes (a multiple of SectorSize) from sector on.
func (d *Device) WriteSectors(b []byte, sector uint64) error {
	if d.readOnly {
		return ErrReadOnly
	}
	return sectorio.Split(b, sector, MaxRequestBytes, func(chunk []byte, sector uint64) error {
		return d.do(typeOut, sector, len(chunk), func(s *slot) { d.copyFrames(s, chunk, false) }, nil)
	})
}

// Flush makes the completed writes durable (a FLUSH request); without VIRTIO_BLK_F_FLUSH the
// device writes through and there is nothing to do.
func (d *Device) Flush() error {
	if !d.flush {
		return nil
	}
	return d.do(typeFlush, 0, 0, nil, nil)
}

// ReadAt implements io.ReaderAt at any byte offset (whole sectors are read around it).
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	return sectorio.ReadAt(d, SectorSize, p, off)
}

// WriteAt implements io.WriterAt at any byte offset: partial sectors are read, changed and written
// back.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	return sectorio.WriteAt(d, SectorSize, p, off)
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
func le64(b []byte, v uint64) { le32(b, uint32(v)); le32(b[4:], uint32(v>>32)) }
