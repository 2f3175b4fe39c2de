// Package cpio writes cpio archives in the "newc" format that the Linux initramfs unpacker reads
// (Linux Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header,
// name and data each padded to 4 bytes, ending with the TRAILER!!! entry. It holds regular files,
// directories and character devices: the initramfs of the nested-Xen harness's dom0 and of the
// Linux baseline of the benchmarks.
package cpio

import (
	"fmt"
	"io"
)

// A Writer writes one archive to W.
type Writer struct {
	W   io.Writer
	ino int
	err error
}

func (c *Writer) entry(name string, mode uint32, data []byte) { c.node(name, mode, data, 0, 0) }

func (c *Writer) node(name string, mode uint32, data []byte, major, minor uint32) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name)+1, 0)
	buf := append([]byte(hdr), name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, Pad4(len(buf)))...)
	buf = append(buf, data...)
	buf = append(buf, make([]byte, Pad4(len(data)))...)
	_, c.err = c.W.Write(buf)
}

// File adds a regular file (perm holds the permission bits).
func (c *Writer) File(name string, perm uint32, data []byte) {
	c.entry(name, 0o100000|perm&0o7777, data)
}

// Dir adds a directory.
func (c *Writer) Dir(name string, perm uint32) { c.entry(name, 0o040000|perm&0o7777, nil) }

// CharDev adds a character device node.
func (c *Writer) CharDev(name string, perm, major, minor uint32) {
	c.node(name, 0o020000|perm&0o7777, nil, major, minor)
}

// Close writes the trailer and returns the first error.
func (c *Writer) Close() error {
	c.entry("TRAILER!!!", 0, nil)
	return c.err
}

// Pad4 returns the padding that aligns n to 4 bytes.
func Pad4(n int) int { return (4 - n%4) % 4 }
