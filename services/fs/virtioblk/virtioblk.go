// Package virtioblk attaches the machine's virtio block devices (drivers/virtio/blk) to the file
// component: it finds them (QEMU microvm's virtio-mmio slots; virtio-pci on q35), starts their
// drivers with device memory and an interrupt line from the relay server, and returns them for
// /dev/vda, /dev/vdb... in the order found. The composition root passes Probe to services/fs
// when the kernel targets QEMU and links block devices.
package virtioblk

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/virtio"
	"github.com/unikgen/unikgen/drivers/virtio/blk"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/relay"
)

// Probe starts a driver for every virtio block device. Devices that cannot be driven are
// reported in the error, and the others still returned.
func Probe(srv *relay.Server) ([]fs.BlockDevice, error) {
	if platform.Name() != "qemu" {
		return nil, nil // a Xen domain has no virtio devices
	}
	var ts []virtio.Transport
	mmio, errs := virtio.ProbeMicrovm()
	// QEMU gives the first -device the highest slot: probe from the top so that the first
	// drive on the command line is /dev/vda.
	for i := len(mmio) - 1; i >= 0; i-- {
		ts = append(ts, mmio[i])
	}
	pci, perrs := virtio.ProbePCI()
	errs = append(errs, perrs...)
	for _, p := range pci {
		ts = append(ts, p)
	}
	var devs []fs.BlockDevice
	for _, t := range ts {
		if t.DeviceID() != spec.DeviceBlock {
			continue
		}
		d, err := attach(srv, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		devs = append(devs, d)
	}
	var err error
	if len(errs) > 0 {
		err = fmt.Errorf("%v", errs)
	}
	return devs, err
}

func attach(srv *relay.Server, t virtio.Transport) (*blk.Device, error) {
	var dev *blk.Device
	line, err := srv.AddIRQ(func() { dev.Interrupt() })
	if err != nil {
		return nil, err
	}
	if dev, err = blk.New(t, relay.DMA{}); err != nil {
		return nil, err
	}
	if err := dev.Interrupts(line, relay.RouteIRQ); err != nil {
		return nil, fmt.Errorf("%v: interrupt: %w", t, err)
	}
	return dev, nil
}
