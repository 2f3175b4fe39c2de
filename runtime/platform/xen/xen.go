// Package xen is the library OS's platform for a Xen PVH domain: hypercalls through the hypercall
// page, shared_info, event channels delivered as an interrupt vector, the PV console for the
// program's input and output (runtime/console), pvclock for time, and SCHEDOP_shutdown to end
// the domain. The program's exit
// status is written to the domain's xenstore key data/exit-status before the shutdown, so the host
// can read it (docs/internals.md, "Exit status on Xen").
//
// Reference: xen/include/public (xen.h, hvm/params.h, sched.h, io/console.h, io/xs_wire.h), Xen 4.17;
// the drivers in drivers/xen.
package xen

import (
	"github.com/unikgen/unikgen/drivers/xen/console"
	"github.com/unikgen/unikgen/drivers/xen/evtchn"
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/pvclock"
	"github.com/unikgen/unikgen/drivers/xen/sharedinfo"
	"github.com/unikgen/unikgen/drivers/xen/shutdown"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	progconsole "github.com/unikgen/unikgen/runtime/console"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/irq"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/relay"
	"github.com/unikgen/unikgen/runtime/trap"
)

// UpcallVector is the interrupt vector Xen raises for event channels (HVM_PARAM_CALLBACK_IRQ,
// delivery type vector; it needs no EOI, and Xen raises it again for as long as
// vcpu_info.evtchn_upcall_pending is set: trap.SetReraisedHandler).
const UpcallVector = 0xF3

// Detect reports whether the machine is a Xen domain.
func Detect() bool {
	_, ok := hypercall.Detect()
	return ok
}

// Init sets up hypercalls, shared_info, event-channel upcalls and the PV console, and installs
// the Xen platform operations. It returns false when the machine is not Xen.
func Init() bool {
	if !hypercall.Init() {
		return false
	}
	// The hypercall page is in the image's BSS, which the sealed identity map makes not
	// executable: it is the one exception (runtime/mm), read-only and executable.
	mm.MapKernel(hypercall.Page(), hypercall.Page()+hypercall.PageSize, mm.ReadExec)
	if rc := sharedinfo.Init(); rc != 0 {
		platform.Install(platform.Ops{Name: "xen", Exit: exit, Crash: crash})
		platform.Fatal("cannot map shared_info")
	}
	trap.SetReraisedHandler(UpcallVector, evtchn.HandleUpcall)
	evtchn.SetHandler(event)
	irq.SetEventRouter(routePort)
	evtchn.EnableUpcall(UpcallVector)
	if console.Init() {
		progconsole.SetInput(pullInput)
		progconsole.SetOutput(programWrite, nil)
	}
	klog.SetSink(consoleWrite)
	platform.Install(platform.Ops{Name: "xen", Exit: exit, Crash: crash})
	xenstore.Init()
	return true
}

// portLines maps an event channel port to the relay server's interrupt line + 1 (0: not routed):
// a driver in program context (netfront, blkfront) asks for it with relay_irq and the line fires
// whenever the port does (docs/network.md, "Devices, interrupts and device memory").
var portLines [evtchn.NumPorts]uint8

// routePort routes port to line (runtime/irq.Route with wire.GSIEventChannel).
func routePort(line int, port uint64) int64 {
	if port == 0 || port >= evtchn.NumPorts {
		return -errno.EINVAL
	}
	portLines[port] = uint8(line + 1)
	return 0
}

// firePort runs in the upcall handler (interrupt context) for each port that fired: a routed port
// marks its line pending for the relay server. The port's record in evtchn stays set, so a
// driver that waits for the port with evtchn.Wait (the xenstore client) still sees it.
func firePort(port uint32) {
	if port < evtchn.NumPorts {
		if l := portLines[port]; l != 0 {
			relay.IRQ(int(l - 1))
		}
	}
}

// InitClock makes Xen's pvclock the monotonic clock and reads the wall clock from shared_info.
func InitClock() {
	ktime.UsePlatformClock(pvclock.Nanotime)
	ktime.UsePVClockVDSO(sharedinfo.VcpuInfo(0) + sharedinfo.VcpuTime)
	sec, nsec := pvclock.WallClock()
	ktime.SetWallClock(sec*1e9 + nsec)
}

func consoleWrite(b []byte) { console.Write(b) }

// programWrite writes the program's output to the PV console. A write that waited for the
// backend may have taken the console's event, which also signals input: it looks for input
// afterwards.
func programWrite(b []byte) int {
	console.Write(b)
	pullInput()
	return len(b)
}

// event is the event channels' handler (interrupt context): the console's event may mean input;
// a port routed to a relay interrupt line (netfront) marks the line pending.
func event(port uint32) {
	if port == console.Port() {
		pullInput()
	}
	firePort(port)
}

// pullInput moves input from the PV console's ring into the program's console while it has
// room; the ring holds the rest (and the backend waits) until a read makes room and calls
// pullInput again.
func pullInput() {
	var buf [256]byte
	for {
		max := min(len(buf), progconsole.Room()/2) // a received byte decodes to at most two
		if max == 0 {
			return
		}
		n := console.Read(buf[:max])
		if n == 0 {
			return
		}
		progconsole.Feed(buf[:n])
	}
}

// exit publishes the status (xenstore data/exit-status and a last console line, see
// drivers/xen/shutdown) and powers the domain off.
func exit(status int) { shutdown.Exit(status) }

// crash ends the domain as crashed, after a fatal kernel error.
func crash() {
	console.Flush()
	shutdown.Crash()
}
