package xenlab

import (
	"fmt"
	"io"
)

// cpioWriter writes a cpio archive in the "newc" format the Linux initramfs unpacker reads
// (Documentation/driver-api/early-userspace/buffer-format.rst): 110-byte ASCII header, name and
// data each padded to 4 bytes, ending with the TRAILER!!! entry. Regular files only.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

func (c *cpioWriter) entry(name string, mode uint32, data []byte) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	buf := append([]byte(hdr), name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	buf = append(buf, data...)
	buf = append(buf, make([]byte, pad4(len(data)))...)
	_, c.err = c.w.Write(buf)
}

// File adds a regular file (mode is the permission bits).
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	c.entry(name, 0o100000|perm&0o7777, data)
}

// Close writes the trailer.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, nil)
	return c.err
}

func pad4(n int) int { return (4 - n%4) % 4 }
