// Package shutdown ends a Xen domain: SCHEDOP_shutdown with reason poweroff when the program
// exits, crash after a fatal fault, and Exit, which first makes the exit status visible to the
// host.
//
// Reference: xen/include/public/sched.h (SCHEDOP_shutdown, struct sched_shutdown, SHUTDOWN_*),
// Xen 4.17. With xl's defaults (on_poweroff = "destroy", on_crash = "destroy", or "preserve" for
// debugging) Xen tears the domain down right after the call.
//
// # Exit status
//
// A PVH domain has no exit code that the host could collect, so Exit publishes the status twice
// before powering off:
//
//   - in xenstore, /local/domain/<domid>/data/exit-status = decimal status (xenstore.ExitStatusPath),
//     readable with xenstore-read or a watch while the domain exists (xenstore.WriteExitStatus
//     takes the ring over from a user-context operation that the exit stopped half way);
//   - on the PV console, as the last line: StatusPrefix + decimal status + "\n", e.g.
//     "unikgen: exit status 3"; the console log survives the domain (xenconsoled --log=guest, or
//     the harness's capture of `xl console`), so a harness parses and strips this line.
//
// Then it waits (bounded) until the console backend has read everything, and powers off.
//
// Kernel context: nothing here allocates.
package shutdown

import (
	"strconv"

	"github.com/unikgen/unikgen/drivers/xen/console"
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
)

// StatusPrefix starts the console line that carries the exit status.
const StatusPrefix = "unikgen: exit status "

// Poweroff ends the domain normally (SHUTDOWN_poweroff). It returns only if Xen refused, or
// without Xen (Init not done): the kernel then halts by other means.
func Poweroff() { shutdown(hypercall.SHUTDOWN_poweroff) }

// Crash tells the toolstack that the domain crashed (SHUTDOWN_crash; xl's on_crash decides what
// happens, "preserve" keeps it for inspection). It returns only if Xen refused.
func Crash() { shutdown(hypercall.SHUTDOWN_crash) }

// Reboot asks the toolstack to restart the domain (SHUTDOWN_reboot). It returns only if Xen
// refused.
func Reboot() { shutdown(hypercall.SHUTDOWN_reboot) }

func shutdown(reason uint32) {
	// A successful SCHEDOP_shutdown does not return; retry a few times in case of a transient
	// failure, then give up and let the caller halt.
	for i := 0; i < 3; i++ {
		if rc := hypercall.SchedShutdown(reason); rc == -hypercall.ENOSYS {
			return
		}
	}
}

// Exit publishes status (xenstore data/exit-status and the console status line), flushes the
// console and powers the domain off. It returns only if that fails.
func Exit(status int) {
	Publish(status)
	Poweroff()
}

// Publish writes the exit status to xenstore and the console (whichever is set up) and waits for
// the console backend to read all output; Exit without the power-off, for callers that end the
// domain themselves.
func Publish(status int) {
	if xenstore.Ready() {
		xenstore.WriteExitStatus(status)
	}
	var line [len(StatusPrefix) + 21 + 1]byte
	n := statusLine(line[:], status)
	console.Write(line[:n])
	console.Flush()
}

// statusLine formats StatusPrefix, status in decimal and a newline into buf and returns the length.
func statusLine(buf []byte, status int) int {
	b := append(buf[:0], StatusPrefix...)
	b = strconv.AppendInt(b, int64(status), 10)
	return len(append(b, '\n'))
}
