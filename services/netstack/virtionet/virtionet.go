// Package virtionet attaches the machine's virtio network devices (drivers/virtio/net) to the
// network stack: it finds them (QEMU microvm's virtio-mmio slots; virtio-pci on q35), starts
// their drivers with device memory and an interrupt line from the relay server, and returns
// their link endpoints. The composition root passes Probe to services/netstack when the kernel
// targets QEMU.
package virtionet

import (
	"fmt"

	"github.com/unikgen/unikgen/drivers/virtio"
	vnet "github.com/unikgen/unikgen/drivers/virtio/net"
	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/services/netstack"
	"github.com/unikgen/unikgen/services/relay"
)

// Probe starts a driver for every virtio network device and returns them as interfaces.
// Devices that cannot be driven are reported in the error, and the others still returned.
func Probe(srv *relay.Server) ([]netstack.NIC, error) {
	if platform.Name() != "qemu" {
		return nil, nil // a Xen domain has no virtio devices (and no I/O ports to probe)
	}
	var ts []virtio.Transport
	mmio, errs := virtio.ProbeMicrovm()
	for _, m := range mmio {
		ts = append(ts, m)
	}
	pci, perrs := virtio.ProbePCI()
	errs = append(errs, perrs...)
	for _, p := range pci {
		ts = append(ts, p)
	}
	var nics []netstack.NIC
	for _, t := range ts {
		if t.DeviceID() != spec.DeviceNet {
			continue
		}
		nic, err := attach(srv, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nics = append(nics, nic)
	}
	var err error
	if len(errs) > 0 {
		err = fmt.Errorf("%v", errs)
	}
	return nics, err
}

func attach(srv *relay.Server, t virtio.Transport) (netstack.NIC, error) {
	var deliver func([]byte)
	var dev *vnet.Device
	line, err := srv.AddIRQ(func() { dev.Interrupt() })
	if err != nil {
		return netstack.NIC{}, err
	}
	dev, err = vnet.New(t, relay.DMA{}, func(f []byte) { deliver(f) })
	if err != nil {
		return netstack.NIC{}, err
	}
	ep, d := netstack.NewLink(dev, vnet.MaxFrame)
	deliver = d
	if err := dev.Interrupts(line, relay.RouteIRQ); err != nil {
		return netstack.NIC{}, fmt.Errorf("%v: interrupt: %w", t, err)
	}
	return netstack.NIC{Name: t.String(), Link: ep, MAC: dev.MAC()}, nil
}
