// Package virtio is the core of the library OS's virtio drivers: the device initialisation
// sequence, feature negotiation, split virtqueues, and two transports, virtio-mmio (version 2,
// as QEMU's microvm machine offers it with force-legacy=false) and modern virtio-pci (q35).
// Device drivers (drivers/virtio/net, ...) are built on Device.
//
// Drivers run in program context, on the relay server (services/relay): their memory for rings
// and buffers comes from identity-mapped frames (Memory), and their interrupts arrive through
// the kernel, which acknowledges a level-triggered device before it wakes the server.
//
// Reference: Virtual I/O Device (VIRTIO) Version 1.2, Committee Specification 01 (2022-07-01):
// §2.1 device status, §2.2 feature bits, §2.7 split virtqueues, §3.1 device initialisation,
// §4.1 virtio over PCI, §4.2 virtio over MMIO, §6 reserved feature bits.
package virtio

import (
	"errors"
	"fmt"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
)

// A Transport is how a driver reaches a device's registers: virtio-mmio or virtio-pci.
type Transport interface {
	// DeviceID is the virtio device type (spec.DeviceNet, ...).
	DeviceID() int
	Status() uint8
	SetStatus(uint8)
	DeviceFeatures() uint64
	SetDriverFeatures(uint64)
	// QueueMax returns the largest size of queue q, 0 if the device has no such queue.
	QueueMax(q int) int
	// EnableQueue gives the device queue q's size and areas and enables it.
	EnableQueue(q *Queue) error
	// Notify tells the device that queue q has new buffers.
	Notify(q int)
	// Config8, Config16 and Config32 read a field of the device-specific configuration at offset
	// off, with an access of the field's width (§4.2.2.2).
	Config8(off int) uint8
	Config16(off int) uint16
	Config32(off int) uint32
	// Interrupt routes the device's interrupt (all of its queues) to relay line line.
	Interrupt(line int, route RouteFunc) error
	// String names the device's location, for messages.
	String() string
}

// RouteFunc asks the kernel to deliver an interrupt to a relay line: from I/O APIC input gsi, or
// message-signalled (gsi -1), when it returns the vector. ack and addr say how the kernel
// quiets the device (runtime/relay/wire Ack*). services/relay.RouteIRQ is one.
type RouteFunc func(line, gsi int, ack uint8, addr uintptr) (vector int, err error)

// Device is a device being initialised or driven through its transport.
type Device struct {
	T        Transport
	Mem      Memory
	Features uint64 // the negotiated features
}

// ErrFeatures is returned when the device rejects the driver's features.
var ErrFeatures = errors.New("virtio: device did not accept the features")

// Init runs the first half of the initialisation sequence of §3.1.1: reset, ACKNOWLEDGE, DRIVER,
// feature negotiation (the device's features that are also in want, plus VERSION_1, which a
// modern device must offer), FEATURES_OK. The driver then sets up its queues and calls Ready.
func Init(t Transport, mem Memory, want uint64) (*Device, error) {
	t.SetStatus(0)
	for i := 0; t.Status() != 0; i++ {
		if i > 1e6 {
			return nil, fmt.Errorf("%v: device does not reset", t)
		}
	}
	t.SetStatus(spec.StatusAcknowledge)
	t.SetStatus(spec.StatusAcknowledge | spec.StatusDriver)
	have := t.DeviceFeatures()
	if have&spec.FeatureVersion1 == 0 {
		t.SetStatus(spec.StatusFailed)
		return nil, fmt.Errorf("%v: legacy device (no VIRTIO_F_VERSION_1); with QEMU's microvm use -global virtio-mmio.force-legacy=false", t)
	}
	f := have & (want | spec.FeatureVersion1)
	t.SetDriverFeatures(f)
	t.SetStatus(spec.StatusAcknowledge | spec.StatusDriver | spec.StatusFeaturesOK)
	if t.Status()&spec.StatusFeaturesOK == 0 {
		t.SetStatus(spec.StatusFailed)
		return nil, fmt.Errorf("%v: %w (offered %#x, asked %#x)", t, ErrFeatures, have, f)
	}
	return &Device{T: t, Mem: mem, Features: f}, nil
}

// Queue allocates queue index with at most max entries (bounded by the device's maximum) and
// hands it to the device.
func (d *Device) Queue(index, max int) (*Queue, error) {
	n := d.T.QueueMax(index)
	if n == 0 {
		return nil, fmt.Errorf("%v: no queue %d", d.T, index)
	}
	if n > max {
		n = max
	}
	for n&(n-1) != 0 { // a power of 2 (a split queue's size need not be, but ours are)
		n &= n - 1
	}
	q, err := NewQueue(d.Mem, index, n)
	if err != nil {
		return nil, err
	}
	if err := d.T.EnableQueue(q); err != nil {
		return nil, err
	}
	return q, nil
}

// Ready sets DRIVER_OK: the device may now use the queues.
func (d *Device) Ready() {
	d.T.SetStatus(spec.StatusAcknowledge | spec.StatusDriver | spec.StatusFeaturesOK | spec.StatusDriverOK)
}

// Kick publishes the queue's new chains and notifies the device if it wants to be.
func (d *Device) Kick(q *Queue) {
	q.Publish()
	if q.NeedNotify() {
		d.T.Notify(q.Index)
	}
}
