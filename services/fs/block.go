package fs

// This file implements block devices in /dev (vda, vdb, ...): their open files read and write
// the device at any offset, fsync flushes it, lseek(SEEK_END) and ioctl(BLKGETSIZE64) report its
// size. Calls on them run on the devices' goroutine: the relay server never waits for a disk.

import (
	"fmt"
	"syscall"

	"github.com/unikgen/unikgen/services/relay"
)

// A BlockDevice is a disk of the machine (drivers/virtio/blk.Device).
type BlockDevice interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Flush makes completed writes durable.
	Flush() error
	Size() int64
	ReadOnly() bool
	String() string
}

// A BlockDriver finds the machine's block devices of one kind and starts them with device
// memory and interrupt lines of the relay server.
type BlockDriver func(srv *relay.Server) ([]BlockDevice, error)

// virtblkMajor is Linux's block major of virtio-blk disks as commonly assigned (dynamic range).
const virtblkMajor = 254

// addBlockDevices adds the devices to /dev as vda, vdb, ... and returns their names.
func addBlockDevices(dev *MemFS, devs []BlockDevice) ([]string, error) {
	var names []string
	for i, d := range devs {
		if i >= 26 {
			return names, fmt.Errorf("%v: more than 26 block devices", d)
		}
		name := "vd" + string(rune('a'+i))
		n := dev.newNode(S_IFBLK | 0o660)
		n.a.Rdev = mkdev(virtblkMajor, uint64(16*i))
		bd, ok := d.(*sharedDevice)
		if !ok {
			bd = &sharedDevice{BlockDevice: d}
		}
		n.dev = func() Handle { return &blockHandle{n: n, d: bd} }
		if _, err := dev.add(name, n); err != nil {
			return names, err
		}
		names = append(names, name)
	}
	return names, nil
}

// blockHandle is an open block device.
type blockHandle struct {
	n *node
	d *sharedDevice
}

func (b *blockHandle) Blocking() bool { return true }
func (b *blockHandle) Size() int64    { return b.d.Size() }

func (b *blockHandle) ReadAt(p []byte, off int64) (int, error) { return b.d.readAhead(p, off) }

func (b *blockHandle) WriteAt(p []byte, off int64) (int, error) {
	if b.d.ReadOnly() {
		return 0, syscall.EROFS
	}
	if off >= b.d.Size() {
		return 0, syscall.ENOSPC
	}
	if off+int64(len(p)) > b.d.Size() {
		p = p[:b.d.Size()-off]
	}
	return b.d.WriteAt(p, off)
}

func (b *blockHandle) Attr() (Attr, error)          { return b.n.attr(), nil }
func (b *blockHandle) Setattr(SetAttr) error        { return nil }
func (b *blockHandle) ReadDir() ([]DirEntry, error) { return nil, syscall.ENOTDIR }
func (b *blockHandle) Sync() error                  { return b.d.Flush() }
func (b *blockHandle) Close() error                 { return nil }
