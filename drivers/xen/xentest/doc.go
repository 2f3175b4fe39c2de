// Package xentest provides in-memory stand-ins for the Xen backends that the drivers in
// drivers/xen talk to through shared pages: the console backend (xenconsoled) and the xenstore
// daemon (xenstored). With them the rings and the xenstore protocol are tested on the development
// host with go test, without Xen.
//
// A fake owns a page-aligned 4 KiB page (Page, Addr) that the driver under test is set up with,
// and the driver's notify and wait hooks (Notify, Wait). The backend runs only inside those hooks,
// synchronously, on the test's goroutine: Wait is where the "other domain" makes progress, so a
// test decides exactly how much it does per step (ConsumeLimit, Chunk) and can provoke ring-full,
// wrap-around and partial-message cases deterministically.
//
// The fakes implement the layouts from the Xen headers independently of the drivers
// (io/console.h, io/xs_wire.h, Xen 4.17); the drivers' tests compare the two sets of constants.
package xentest

import "github.com/unikgen/unikgen/drivers/xen/internal/hw"

// PageSize is the size of a shared page.
const PageSize = 4096

// newPage returns a zeroed page-aligned 4 KiB slice.
func newPage() []byte {
	b := make([]byte, 2*PageSize)
	off := int((PageSize - hw.Addr(b)%PageSize) % PageSize)
	return b[off : off+PageSize : off+PageSize]
}
