// Package xennet attaches a Xen domain's network interfaces (vifs, drivers/xen/netfront) to the
// network stack: it finds them in xenstore (device/vif/<id>), starts their drivers with device
// memory and an interrupt line of the relay server for their event channel, and returns their
// link endpoints. The composition root passes Probe to services/netstack when the kernel can run
// on Xen.
package xennet

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/xen/netfront"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/services/netstack"
	"github.com/unikgen/unikgen/services/relay"
	"github.com/unikgen/unikgen/services/xendev"
)

// Probe starts a driver for every vif of the domain and returns them as interfaces, in the order
// of their ids. Devices that cannot be driven are reported in the error, and the others still
// returned.
func Probe(srv *relay.Server) ([]netstack.NIC, error) {
	if platform.Name() != "xen" {
		return nil, nil
	}
	ids, err := xenbus.Devices("vif")
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if err := xendev.Start(srv); err != nil {
		return nil, err
	}
	var nics []netstack.NIC
	var errs []error
	for _, id := range ids {
		nic, err := attach(srv, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nics = append(nics, nic)
	}
	if len(errs) > 0 {
		err = fmt.Errorf("%v", errs)
	}
	return nics, err
}

func attach(srv *relay.Server, id string) (netstack.NIC, error) {
	fe, err := xenbus.Open("vif", id)
	if err != nil {
		return netstack.NIC{}, err
	}
	var dev *netfront.Device
	var deliver func([]byte)
	line, err := srv.AddIRQ(func() { dev.Interrupt() })
	if err != nil {
		return netstack.NIC{}, err
	}
	dev, err = netfront.New(fe, relay.DMA{}, func(f []byte) { deliver(f) })
	if err != nil {
		return netstack.NIC{}, err
	}
	ep, d := netstack.NewLink(dev, netfront.MaxFrame)
	deliver = d
	if err := relay.RouteEventChannel(line, dev.Port()); err != nil {
		return netstack.NIC{}, fmt.Errorf("netfront: %v: event channel %d: %w", fe, dev.Port(), err)
	}
	if err := dev.Connect(); err != nil {
		return netstack.NIC{}, err
	}
	return netstack.NIC{Name: "xen vif " + id, Link: ep, MAC: dev.MAC(), Down: dev.Down(), Err: dev.Err}, nil
}
