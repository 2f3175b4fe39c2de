// Package consoletest is the output pattern of the console's throughput test and benchmark
// (internal/boottest, internal/bench/consolebench): numbered 100-byte lines that a guest program
// writes (internal/boottest/testdata/bigoutput) and the host checks as they arrive, so that a
// lost, repeated or reordered byte is found without keeping the whole output.
package consoletest

import (
	"bytes"
	"fmt"
	"strconv"
)

// LineSize is the size of every line.
const LineSize = 100

// Line appends the line at byte offset off (a multiple of LineSize) to b: the offset in 12
// digits, a space, letters that depend on the offset, a newline.
func Line(b []byte, off int) []byte {
	start := len(b)
	b = append(b, fmt.Sprintf("%012d ", off)...)
	for len(b)-start < LineSize-1 {
		b = append(b, byte('a'+(off/LineSize+len(b)-start)%26))
	}
	return append(b, '\n')
}

// A Checker is a writer that checks that what is written is Lines lines of the pattern, from
// offset 0, followed by anything (the program's last words on standard error, kernel messages).
type Checker struct {
	Lines int // lines expected

	off  int    // bytes of the pattern checked
	line []byte // the part of the current line received
	err  error
	tail bytes.Buffer // what came after the pattern
	want []byte
}

// Write checks p. It never fails: see Err.
func (c *Checker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil && c.off < c.Lines*LineSize {
		k := min(len(p), LineSize-len(c.line))
		c.line = append(c.line, p[:k]...)
		p = p[k:]
		if len(c.line) < LineSize {
			break
		}
		c.want = Line(c.want[:0], c.off)
		if !bytes.Equal(c.line, c.want) {
			c.err = fmt.Errorf("at byte %d: got line %q, want %q", c.off, c.line, c.want)
		}
		c.off += LineSize
		c.line = c.line[:0]
	}
	if c.err == nil && len(p) > 0 {
		c.tail.Write(p)
	}
	return n, nil
}

// Err reports the first difference, or that the pattern ended early.
func (c *Checker) Err() error {
	if c.err != nil {
		return c.err
	}
	if c.off < c.Lines*LineSize {
		return fmt.Errorf("the output ended after %d of %d bytes (then %q)", c.off+len(c.line), c.Lines*LineSize, c.line)
	}
	return nil
}

// Bytes returns the number of pattern bytes checked.
func (c *Checker) Bytes() int { return c.off }

// Tail returns what came after the pattern.
func (c *Checker) Tail() string { return c.tail.String() }

// Args returns the arguments of the bigoutput program for total bytes written in the given
// mode ("lines": one write per line; "blocks": writes of about 32 KiB).
func Args(total int, mode string) []string { return []string{strconv.Itoa(total), mode} }
