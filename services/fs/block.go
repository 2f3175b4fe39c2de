package fs

// This file implements block devices in /dev (vda, vdb, ...): their open files read and write
// the device at any offset, fsync flushes it, lseek(SEEK_END) and ioctl(BLKGETSIZE64) report its
// size. Calls on them run on the devices' goroutine: the relay server never waits for a disk.

import (
	"fmt"
	"syscall"

	"github.com/unikgen/unikgen/runtime/platform"
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

// Linux's block majors: virtio-blk disks as commonly assigned (dynamic range), and Xen's
// virtual block devices (xvd, Documentation/admin-guide/devices.txt).
const (
	virtblkMajor = 254
	xvdMajor     = 202
)

// devicePrefix is the name of the block devices in /dev, before their letter: vd (virtio-blk, on
// QEMU) or, on Xen, xvd (the domain's vbds, named as Linux names them).
func devicePrefix() string {
	if platform.Name() == "xen" {
		return "xvd"
	}
	return "vd"
}

// deviceMajor is the block major of the devices devicePrefix names.
func deviceMajor() uint64 {
	if platform.Name() == "xen" {
		return xvdMajor
	}
	return virtblkMajor
}

// addBlockDevices adds the devices to /dev as vda, vdb, ... (xvda... on Xen) and returns their
// names.
func addBlockDevices(dev *MemFS, devs []BlockDevice) ([]string, error) {
	var names []string
	for i, d := range devs {
		if i >= 26 {
			return names, fmt.Errorf("%v: more than 26 block devices", d)
		}
		name := devicePrefix() + string(rune('a'+i))
		n := dev.newNode(S_IFBLK | 0o660)
		n.a.Rdev = mkdev(deviceMajor(), uint64(16*i))
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
