// Package pci reads and writes PCI configuration space through configuration mechanism #1
// (I/O ports 0xCF8 and 0xCFC), enumerates the functions of bus 0, walks capability lists, and
// decodes memory BARs, as the firmware (SeaBIOS on QEMU's q35) left them.
//
// Reference: PCI Local Bus Specification 3.0 §3.2.2.3.2 (configuration mechanism #1), §6.1
// (configuration header: vendor 0x00, device 0x02, command 0x04, status 0x06, header type 0x0E,
// BARs 0x10-0x24, capabilities pointer 0x34), §6.7 (capability list); PCI Express Base 4.0 §7.7.2
// (MSI-X capability).
package pci

import "github.com/unikgen/unikgen/runtime/arch"

const (
	configAddress = 0xCF8
	configData    = 0xCFC
)

// Configuration header offsets.
const (
	Vendor     = 0x00
	DeviceID   = 0x02
	Command    = 0x04
	Status     = 0x06
	HeaderType = 0x0E
	BAR0       = 0x10
	CapPtr     = 0x34

	CommandMemory = 1 << 1
	CommandMaster = 1 << 2
	CommandNoINTx = 1 << 10
	StatusCaps    = 1 << 4
)

// Capability IDs.
const (
	CapVendor = 0x09
	CapMSIX   = 0x11
)

// A Func is one PCI function (bus 0 here).
type Func struct {
	Bus, Dev, Fn uint8
}

func (f Func) addr(off uint8) uint32 {
	return 1<<31 | uint32(f.Bus)<<16 | uint32(f.Dev)<<11 | uint32(f.Fn)<<8 | uint32(off&0xfc)
}

// Read32 reads the configuration dword at off (aligned down to 4).
func (f Func) Read32(off uint8) uint32 {
	arch.Outl(configAddress, f.addr(off))
	return arch.Inl(configData)
}

// Read16 reads the configuration word at off.
func (f Func) Read16(off uint8) uint16 { return uint16(f.Read32(off) >> (8 * (off & 2))) }

// Read8 reads the configuration byte at off.
func (f Func) Read8(off uint8) uint8 { return uint8(f.Read32(off) >> (8 * (off & 3))) }

// Write32 writes the configuration dword at off.
func (f Func) Write32(off uint8, v uint32) {
	arch.Outl(configAddress, f.addr(off))
	arch.Outl(configData, v)
}

// Write16 writes the configuration word at off (read-modify-write of its dword).
func (f Func) Write16(off uint8, v uint16) {
	sh := 8 * uint32(off&2)
	old := f.Read32(off)
	f.Write32(off, old&^(0xffff<<sh)|uint32(v)<<sh)
}

// Scan returns the functions present on bus 0.
func Scan() []Func {
	var out []Func
	for dev := uint8(0); dev < 32; dev++ {
		f := Func{Dev: dev}
		if f.Read16(Vendor) == 0xffff {
			continue
		}
		out = append(out, f)
		if f.Read8(HeaderType)&0x80 == 0 {
			continue
		}
		for fn := uint8(1); fn < 8; fn++ {
			g := Func{Dev: dev, Fn: fn}
			if g.Read16(Vendor) != 0xffff {
				out = append(out, g)
			}
		}
	}
	return out
}

// Caps returns the offsets of the function's capabilities with ID id.
func (f Func) Caps(id uint8) []uint8 {
	if f.Read16(Status)&StatusCaps == 0 {
		return nil
	}
	var out []uint8
	off := f.Read8(CapPtr) &^ 3
	for i := 0; off != 0 && i < 48; i++ {
		if f.Read8(off) == id {
			out = append(out, off)
		}
		off = f.Read8(off+1) &^ 3
	}
	return out
}

// BAR returns the memory address of base address register n (a 64-bit BAR takes n and n+1); ok
// is false for an I/O BAR or an unassigned one.
func (f Func) BAR(n int) (addr uint64, ok bool) {
	off := uint8(BAR0 + 4*n)
	lo := f.Read32(off)
	if lo&1 != 0 {
		return 0, false
	}
	addr = uint64(lo &^ 0xf)
	if lo>>1&3 == 2 { // 64-bit
		addr |= uint64(f.Read32(off+4)) << 32
	}
	return addr, addr != 0
}

// EnableMemory turns on memory decoding and bus mastering (DMA), and masks legacy INTx.
func (f Func) EnableMemory() {
	f.Write16(Command, f.Read16(Command)|CommandMemory|CommandMaster|CommandNoINTx)
}
