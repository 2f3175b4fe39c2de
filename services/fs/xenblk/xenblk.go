// Package xenblk attaches a Xen domain's block devices (vbds, drivers/xen/blkfront) to the file
// component: it finds them in xenstore (device/vbd/<id>), starts their drivers with device
// memory and an interrupt line of the relay server for their event channel, and returns them in
// the order of their ids (xvda first). It is the Xen counterpart of services/fs/virtioblk: a
// composition root that links block devices and can run on Xen passes Probe to services/fs.
package xenblk

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/unikgen/unikgen/drivers/xen/blkfront"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/services/fs"
	"github.com/unikgen/unikgen/services/relay"
	"github.com/unikgen/unikgen/services/xendev"
)

// Probe starts a driver for every vbd of the domain. Devices that cannot be driven are reported
// in the error, and the others still returned.
func Probe(srv *relay.Server) ([]fs.BlockDevice, error) {
	if platform.Name() != "xen" {
		return nil, nil
	}
	ids, err := xenbus.Devices("vbd")
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	sort.Slice(ids, func(i, j int) bool {
		a, _ := strconv.Atoi(ids[i])
		b, _ := strconv.Atoi(ids[j])
		return a < b
	})
	if err := xendev.Start(srv); err != nil {
		return nil, err
	}
	var devs []fs.BlockDevice
	var errs []error
	for _, id := range ids {
		d, err := attach(srv, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		devs = append(devs, d)
	}
	if len(errs) > 0 {
		err = fmt.Errorf("%v", errs)
	}
	return devs, err
}

func attach(srv *relay.Server, id string) (*blkfront.Device, error) {
	fe, err := xenbus.Open("vbd", id)
	if err != nil {
		return nil, err
	}
	var dev *blkfront.Device
	line, err := srv.AddIRQ(func() { dev.Interrupt() })
	if err != nil {
		return nil, err
	}
	if dev, err = blkfront.New(fe, relay.DMA{}); err != nil {
		return nil, err
	}
	if err := relay.RouteEventChannel(line, dev.Port()); err != nil {
		return nil, fmt.Errorf("blkfront: %v: event channel %d: %w", fe, dev.Port(), err)
	}
	if err := dev.Connect(); err != nil {
		return nil, err
	}
	return dev, nil
}
