// This file implements the fake console backend.

package xentest

import (
	"encoding/binary"

	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// Console layout (io/console.h, struct xencons_interface).
const (
	ConsIn      = 0
	ConsInSize  = 1024
	ConsOut     = 1024
	ConsOutSize = 2048
	ConsInCons  = 3072
	ConsInProd  = 3076
	ConsOutCons = 3080
	ConsOutProd = 3084
)

// Console is a fake console backend.
type Console struct {
	Page []byte // the xencons_interface page

	// ConsumeLimit bounds the bytes taken from the output ring per Wait (0: no limit).
	ConsumeLimit int
	// Stall makes the next Stall calls of Wait consume nothing.
	Stall int

	out      []byte
	Notifies int
	Waits    int
}

// NewConsole returns a backend with an empty page.
func NewConsole() *Console { return &Console{Page: newPage()} }

// Addr returns the page's address, for the driver's Setup.
func (c *Console) Addr() uintptr { return hw.Addr(c.Page) }

func (c *Console) u32(off int) uint32 { return hw.Load32(c.Addr() + uintptr(off)) }

func (c *Console) set32(off int, v uint32) { hw.Store32(c.Addr()+uintptr(off), v) }

// SetIndices sets all four ring indices to v, as if that many bytes had passed in each direction:
// start near 1<<32 to test index wrap-around.
func (c *Console) SetIndices(v uint32) {
	for _, off := range []int{ConsInCons, ConsInProd, ConsOutCons, ConsOutProd} {
		c.set32(off, v)
	}
}

// Notify is the driver's notify hook.
func (c *Console) Notify(port uint32) { c.Notifies++ }

// Wait is the driver's wait hook: the backend consumes output (up to ConsumeLimit bytes).
func (c *Console) Wait(port uint32) {
	c.Waits++
	if c.Stall > 0 {
		c.Stall--
		return
	}
	c.consume(c.ConsumeLimit)
}

func (c *Console) consume(limit int) {
	cons, prod := c.u32(ConsOutCons), c.u32(ConsOutProd)
	if prod-cons > ConsOutSize {
		panic("xentest: console out_prod runs ahead of out_cons by more than the ring")
	}
	n := int(prod - cons)
	if limit > 0 && n > limit {
		n = limit
	}
	for ; n > 0; n-- {
		c.out = append(c.out, c.Page[ConsOut+int(cons%ConsOutSize)])
		cons++
	}
	c.set32(ConsOutCons, cons)
}

// Output consumes everything in the output ring and returns all output received so far.
func (c *Console) Output() string {
	c.consume(0)
	return string(c.out)
}

// Pending returns the number of bytes in the output ring not consumed yet.
func (c *Console) Pending() int { return int(c.u32(ConsOutProd) - c.u32(ConsOutCons)) }

// Input puts b into the input ring as far as it fits and returns the bytes written.
func (c *Console) Input(b []byte) int {
	cons, prod := c.u32(ConsInCons), c.u32(ConsInProd)
	n := 0
	for n < len(b) && prod-cons < ConsInSize {
		c.Page[ConsIn+int(prod%ConsInSize)] = b[n]
		prod++
		n++
	}
	c.set32(ConsInProd, prod)
	return n
}

// InputConsumed returns in_cons.
func (c *Console) InputConsumed() uint32 { return binary.LittleEndian.Uint32(c.Page[ConsInCons:]) }
