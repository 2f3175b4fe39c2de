// Package xendev prepares what the Xen device frontends (netfront, blkfront) share, once per
// program, in program context: the grant table (drivers/xen/gnttab, all of its frames) and the
// xenstore event channel routed to a relay interrupt line that wakes the xenbus watch dispatcher
// (drivers/xen/xenbus.Kick), so that a frontend hears of its backend's state changes without
// polling.
package xendev

import (
	"fmt"
	"sync"

	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/xenbus"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	"github.com/unikgen/unikgen/services/relay"
)

var (
	once sync.Once
	err  error
)

// Start sets the shared machinery up on the first call and returns its result on every call.
func Start(srv *relay.Server) error {
	once.Do(func() { err = start(srv) })
	return err
}

func start(srv *relay.Server) error {
	if !xenstore.Ready() {
		return fmt.Errorf("xen devices: no xenstore")
	}
	if gnttab.Capacity() == 0 {
		if n, rc := gnttab.Init(gnttab.MaxFrames); rc != 0 || n == 0 {
			return fmt.Errorf("xen devices: mapping the grant table: %d frames, result %d", n, rc)
		}
	}
	line, err := srv.AddIRQ(xenbus.Kick)
	if err != nil {
		return fmt.Errorf("xen devices: xenstore interrupt: %w", err)
	}
	if err := relay.RouteEventChannel(line, xenstore.Port()); err != nil {
		return fmt.Errorf("xen devices: routing the xenstore event channel %d: %w", xenstore.Port(), err)
	}
	return nil
}
