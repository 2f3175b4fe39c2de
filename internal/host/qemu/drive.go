// This file implements the disks of a boot: raw image files given to the guest as virtio block
// devices (/dev/vda, /dev/vdb... in order).

package qemu

import "fmt"

// A Drive is a raw disk image file attached as a virtio block device.
type Drive struct {
	File     string
	ReadOnly bool
}

// driveArgs returns the options attaching c.Drives: virtio-blk on microvm's virtio-mmio
// (version 2) or, on q35, modern virtio-pci. The guest flushes (VIRTIO_BLK_F_FLUSH) when the
// program calls fsync; QEMU's default writeback cache keeps the rest in the host's page cache,
// which survives QEMU being killed.
func (c *Config) driveArgs(machine string) ([]string, error) {
	var args []string
	for i, d := range c.Drives {
		if d.File == "" {
			return nil, fmt.Errorf("drive %d: no image file", i)
		}
		opt := fmt.Sprintf("if=none,id=disk%d,format=raw,file=%s", i, escapeOpt(d.File))
		if d.ReadOnly {
			opt += ",readonly=on"
		}
		dev := "virtio-blk-device"
		if machine == Q35 {
			dev = "virtio-blk-pci,disable-legacy=on"
		} else if i == 0 {
			// microvm's virtio-mmio is legacy unless told otherwise; the kernel drives version 2.
			args = append(args, "-global", "virtio-mmio.force-legacy=false")
		}
		args = append(args, "-drive", opt, "-device", fmt.Sprintf("%s,drive=disk%d", dev, i))
	}
	return args, nil
}
