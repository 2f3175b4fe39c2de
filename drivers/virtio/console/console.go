// Package console drives a virtio console device (virtio-serial) from kernel context, for the
// program's standard output and error on QEMU: runtime/console writes to it (through the
// platform, runtime/platform/qemu) on each write(2), where the 16550 UART took 3 µs per byte
// under TCG.
//
// It is a multiport console (VIRTIO_CONSOLE_F_MULTIPORT) whose port Port, named PortName, takes
// the output: QEMU's `-device virtserialport,nr=1,name=org.unikgen.console,chardev=...` on a
// `virtio-serial-device` (microvm's virtio-mmio) or `virtio-serial-pci` (q35). A virtserialport,
// not a virtconsole: QEMU drops what a virtconsole's character device cannot take at once (a
// full pipe), while it holds a serial port's buffers until the host reads, which is what makes
// the output lossless. internal/host/qemu adds the device.
//
// Only the port's transmit queue and the control queues are set up (the program's input comes
// through the UART, runtime/console). The transmit queue's buffers point into a ring of
// DataSize bytes: a write copies into it and hands the device one descriptor (two at the ring's
// end), and notifies it; the device returns descriptors in the used ring as it writes their bytes
// out. Under TCG QEMU has done so before the notification returns; when the host does not read,
// the ring fills, Write takes nothing, and the caller asks for an interrupt (Arm) and waits.
//
// Kernel context: no allocation, pointer-free state, memory in package arrays (the library OS's
// variables are in the loaded image, identity-mapped: their addresses are physical addresses).
//
// Reference: Virtual I/O Device (VIRTIO) Version 1.2, Committee Specification 01: §2.7 split
// virtqueues, §3.1.1 driver initialisation, §4.1 virtio over PCI, §4.2 virtio over MMIO, §5.3
// console device (§5.3.2 virtqueues, §5.3.3 feature bits, §5.3.4 configuration layout,
// §5.3.6.2 multiport operation).
package console

import (
	"unsafe"

	"github.com/unikgen/unikgen/drivers/virtio/spec"
	"github.com/unikgen/unikgen/runtime/arch"
)

// The port that takes the program's output, and its name.
const (
	Port     = 1
	PortName = "org.unikgen.console"
)

// Sizes.
const (
	DataSize   = 64 << 10 // the output ring
	txSize     = 64       // transmit queue entries
	ctlQueue   = 8        // control queue entries
	ctlBufSize = 128      // a control receive buffer (a PORT_NAME message and its name)
)

// Console feature bits (§5.3.3) and configuration (§5.3.4: le16 cols, le16 rows, le32
// max_nr_ports, le32 emerg_wr).
const (
	featureMultiport = 1 << 1
	cfgMaxPorts      = 4
)

// Queue numbers (§5.3.2): port 0 receive 0, transmit 1; control receive 2, transmit 3; port n
// (n >= 1) receive 2n+2, transmit 2n+3.
const (
	ctlRxQueue = 2
	ctlTxQueue = 3
	txQueue    = 2*Port + 3
)

var (
	// Device memory, identity-mapped: the three queues' areas, the control buffers, the output
	// ring.
	qmem  [4096 / 8]uint64
	ctlRx [ctlQueue * ctlBufSize]byte
	ctlTx [ctlQueue * ctlSize]byte
	data  [DataSize]byte

	tx, crx, ctx vring
	ready        bool

	// The output ring: produced and released bytes (free-running), the bytes and the state of
	// each descriptor in flight. Descriptors are handed out in order (id = index mod size), so
	// the oldest in flight is reaped's.
	produced, released uint32
	reaped             uint16 // descriptors released so far (free-running)
	txLen              [txSize]uint32
	txDone             [txSize]bool

	armed   bool   // the driver asked for an interrupt: someone waits for room
	armedAt uint32 // released when it asked
)

func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// Init finds a virtio console and readies its port Port. vector is the interrupt vector for its
// transmit interrupts: virtio-pci's MSI-X message carries it; on virtio-mmio the caller routes
// GSI to it. It reports whether the console is ready; when a device was found but cannot be
// used, why says why (an empty why with false: there is none).
func Init(vector uint8) (ok bool, why string) {
	found, why := probe()
	if !found {
		return false, why
	}
	if why = start(vector); why != "" {
		setStatus(spec.StatusFailed)
		return false, why
	}
	ready = true
	return true, ""
}

// Ready reports whether Init found and started the console.
func Ready() bool { return ready }

// GSI returns the I/O APIC input of a virtio-mmio console (-1 on PCI, which uses MSI-X).
func GSI() int {
	if transport == transportMMIO {
		return mmioGSI
	}
	return -1
}

// start runs the initialisation of §3.1.1 and the control handshake of §5.3.6.2.
func start(vector uint8) string {
	setStatus(0)
	for i := 0; status() != 0; i++ {
		if i > 1e6 {
			return "the device does not reset"
		}
	}
	setStatus(spec.StatusAcknowledge)
	setStatus(spec.StatusAcknowledge | spec.StatusDriver)
	have := deviceFeatures()
	if have&spec.FeatureVersion1 == 0 {
		return "a legacy device (no VIRTIO_F_VERSION_1)"
	}
	if have&featureMultiport == 0 {
		return "no VIRTIO_CONSOLE_F_MULTIPORT (add a virtserialport)"
	}
	setDriverFeatures(spec.FeatureVersion1 | featureMultiport)
	setStatus(spec.StatusAcknowledge | spec.StatusDriver | spec.StatusFeaturesOK)
	if status()&spec.StatusFeaturesOK == 0 {
		return "the device refused the features"
	}
	if config32(cfgMaxPorts) <= Port {
		return "the device has no port 1"
	}

	mem := (addr(&qmem[0]) + 15) &^ 15
	end := addr(&qmem[0]) + uintptr(len(qmem))*8
	for _, q := range [3]struct {
		r     *vring
		index int
		want  uint16
	}{{&tx, txQueue, txSize}, {&crx, ctlRxQueue, ctlQueue}, {&ctx, ctlTxQueue, ctlQueue}} {
		n := min(queueMax(q.index), q.want)
		for n&(n-1) != 0 {
			n &= n - 1
		}
		if n == 0 {
			return "a queue is missing"
		}
		if mem+areaBytes(n) > end {
			return "queue memory exhausted"
		}
		q.r.layout(q.index, n, mem)
		mem = (mem + areaBytes(n) + 15) &^ 15
	}
	if transport == transportPCI && !setupMSIX(vector) {
		return "MSI-X table not in memory below 4 GiB"
	}
	for _, q := range [3]*vring{&tx, &crx, &ctx} {
		msix := uint16(spec.NoVector)
		if q == &tx {
			msix = 0
		}
		q.noIntr = q != &tx
		q.publish()
		if !enableQueue(q, msix) {
			return "a queue could not be enabled"
		}
	}
	// Control receive buffers, so that the device can answer.
	for i := uint16(0); i < crx.size; i++ {
		crx.setDesc(i, addr(&ctlRx[uintptr(i)*ctlBufSize]), ctlBufSize, true)
		crx.push(i)
	}
	crx.publish()
	setStatus(spec.StatusAcknowledge | spec.StatusDriver | spec.StatusFeaturesOK | spec.StatusDriverOK)
	notify(ctlRxQueue)

	// Handshake: DEVICE_READY; the device adds its ports; PORT_READY for ours; the device names
	// it and says whether the host side is open; PORT_OPEN. QEMU answers a control message before
	// it returns its buffer, so once sendControl's buffer is back every answer is in the receive
	// queue.
	var st portState
	if !sendControl(0, eventDeviceReady, 1) {
		return "no answer on the control queue"
	}
	for round := 0; round < 4; round++ {
		for {
			reply, value, got := receiveControl(&st)
			if !got {
				break
			}
			if reply != 0 && !sendControl(Port, reply, value) {
				return "no answer on the control queue"
			}
		}
		if st.named || st.badName {
			break
		}
	}
	switch {
	case !st.added:
		return "the device has no port 1"
	case !st.named:
		return "port 1 is not named " + PortName
	}
	if !sendControl(Port, eventPortOpen, 1) {
		return "no answer on the control queue"
	}
	tx.setInterrupts(false)
	return ""
}

// sendControl sends one control message and waits until the device has taken it.
func sendControl(id uint32, event, value uint16) bool {
	i := ctx.availIdx & (ctx.size - 1)
	b := ctlTx[uintptr(i)*ctlSize : uintptr(i+1)*ctlSize]
	putControl(b, id, event, value)
	ctx.setDesc(i, addr(&b[0]), ctlSize, false)
	ctx.push(i)
	ctx.publish()
	notify(ctlTxQueue)
	for spin := 0; spin < 1e8; spin++ {
		if _, _, ok := ctx.nextUsed(); ok {
			return true
		}
		arch.Pause()
	}
	return false
}

// receiveControl takes one message from the control receive queue, applies it to st, gives the
// buffer back, and returns the reply owed, if any.
func receiveControl(st *portState) (reply, value uint16, got bool) {
	id, n, ok := crx.nextUsed()
	if !ok {
		return 0, 0, false
	}
	if id < uint32(crx.size) {
		if c, ok := parseControl(ctlRx[id*ctlBufSize:(id+1)*ctlBufSize], n); ok {
			reply, value, _ = st.apply(c, Port, PortName)
		}
		crx.push(uint16(id))
		crx.publish()
		notify(ctlRxQueue)
	}
	return reply, value, true
}

// Write copies the first min(len(b), DataSize) bytes of b into the output ring, hands them to
// the device and returns their number; it returns 0 when they do not fit now (a write of a line
// is never split): the caller then calls Arm and waits.
func Write(b []byte) int {
	if !ready || len(b) == 0 {
		return 0
	}
	reap()
	free := DataSize - int(produced-released)
	slots := int(tx.size) - int(tx.availIdx-reaped)
	n := min(len(b), DataSize)
	wraps := int(produced%DataSize)+n > DataSize
	if free < n || slots == 0 || wraps && slots < 2 {
		return 0
	}
	for done := 0; done < n; {
		o := int(produced % DataSize)
		c := copy(data[o:], b[done:n])
		id := tx.availIdx & (tx.size - 1)
		tx.setDesc(id, addr(&data[o]), uint32(c), false)
		txLen[id], txDone[id] = uint32(c), false
		tx.push(id)
		produced += uint32(c)
		done += c
	}
	tx.publish()
	if tx.needNotify() {
		notify(txQueue)
	}
	reap()
	return n
}

// reap releases the descriptors the device has used, oldest first.
func reap() {
	for {
		id, _, ok := tx.nextUsed()
		if !ok {
			break
		}
		inFlight := tx.availIdx - reaped
		if id >= uint32(tx.size) || uint16(id-uint32(reaped))&(tx.size-1) >= inFlight || txDone[id] {
			continue // not a descriptor in flight: a device bug, ignored
		}
		txDone[id] = true
	}
	for reaped != tx.availIdx && txDone[reaped&(tx.size-1)] {
		i := reaped & (tx.size - 1)
		released += txLen[i]
		txDone[i] = false
		reaped++
	}
}

// Drained reports whether the device has written out everything written so far.
func Drained() bool {
	if !ready {
		return true
	}
	reap()
	return reaped == tx.availIdx
}

// Arm asks the device to interrupt when it uses buffers, so that a writer waiting for room is
// woken (Interrupt returns true once the device released some). It returns false, and asks for
// no interrupt, when the device released buffers since the last Write: the caller writes again.
func Arm() bool {
	if !ready {
		return false
	}
	before := released
	tx.setInterrupts(true)
	reap()
	if released != before {
		tx.setInterrupts(false)
		return false
	}
	armed, armedAt = true, released
	return true
}

// Interrupt serves the device's interrupt: it quiets the device and releases used buffers. It
// returns true when a writer waits (Arm) and the device has released buffers since: the caller
// wakes the writers, which write again (and wait again if the room is still too small).
func Interrupt() bool {
	if !ready {
		return false
	}
	ackInterrupt()
	reap()
	if !armed || released == armedAt {
		return false
	}
	armed = false
	tx.setInterrupts(false)
	return true
}
