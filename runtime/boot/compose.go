package boot

import (
	"github.com/unikgen/unikgen/drivers/uart16550"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sys"
)

// syscallTable returns the system-call dispatch table of this kernel. (A function, not a variable
// initialised from another package's: that would take package initialisation, which runs long
// after boot.)
func syscallTable() sys.Table { return sys.Generic }

// bootPlatform brings up the console and installs the platform operations.
func bootPlatform() {
	uart16550.Init(uart16550.COM1)
	klog.SetSink(qemuConsole)
	platform.Install(platform.Ops{Name: "qemu", Exit: qemuExit})
}

// platformClock sets up a platform clock and reports whether there is one (Xen's pvclock);
// otherwise the TSC is calibrated against the PIT.
func platformClock() bool { return false }
