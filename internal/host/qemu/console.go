// This file implements the program's console under QEMU: its standard input, sent to the serial
// port, and its standard output and error, which the kernel writes to a virtio console port
// (drivers/virtio/console) that QEMU writes to the same pipe as the serial port.

package qemu

import (
	"io"
	"os"
	"os/exec"

	"github.com/unikgen/unikgen/runtime/console/wire"
)

// consoleFD is the descriptor on which QEMU finds the console's pipe a second time (after its
// standard output), for the virtio console's character device: both devices write to one pipe,
// so the host reads kernel messages and program output in the order QEMU wrote them.
const consoleFD = 3

// ConsolePort is the name of the virtio console port that takes the program's output
// (drivers/virtio/console.PortName; not imported: that package is the kernel's).
const ConsolePort = "org.unikgen.console"

// consoleArgs returns the QEMU options of the virtio console for machine: a virtio-serial device
// (virtio-mmio on microvm, virtio-pci on q35) with two ports, port 1 being the program's output,
// a virtserialport (QEMU holds a serial port's data until the host reads it, where a virtconsole
// drops what a full pipe cannot take). None with SerialOutput.
func (c *Config) consoleArgs(machine string) []string {
	if c.SerialOutput {
		return nil
	}
	args := []string{
		"-add-fd", "fd=3,set=3",
		"-chardev", "file,id=ugconsole,path=/dev/fdset/3,append=on", // append: a pipe cannot be truncated
	}
	if machine == Q35 {
		args = append(args, "-device", "virtio-serial-pci,disable-legacy=on,max_ports=2")
	} else {
		args = append(args, "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-serial-device,max_ports=2")
	}
	return append(args, "-device", "virtserialport,chardev=ugconsole,nr=1,name="+ConsolePort)
}

// consolePipes holds the host ends of QEMU's console: the pipe QEMU writes the console to (its
// standard output and consoleFD), and the one it reads the program's input from.
type consolePipes struct {
	out, outW *os.File // QEMU writes outW; Run copies out to Config.Console
	in, inW   *os.File // QEMU reads in; Run writes the input stream to inW
	copied    chan error
}

// setupConsole makes the pipes of cmd's console.
func (c *Config) setupConsole(cmd *exec.Cmd) (*consolePipes, error) {
	p := &consolePipes{copied: make(chan error, 1)}
	var err error
	if p.out, p.outW, err = os.Pipe(); err != nil {
		return nil, err
	}
	cmd.Stdout = p.outW
	if !c.SerialOutput {
		cmd.ExtraFiles = []*os.File{p.outW} // consoleFD
	}
	if c.RawCmdline != "" {
		return p, nil // another kernel: no input stream (QEMU's input is /dev/null)
	}
	if p.in, p.inW, err = os.Pipe(); err != nil {
		p.close()
		return nil, err
	}
	cmd.Stdin = p.in
	return p, nil
}

// started runs once QEMU runs: it closes the ends QEMU owns now and starts copying both ways.
func (p *consolePipes) started(console io.Writer, stdin io.Reader) {
	p.outW.Close()
	if console == nil {
		console = io.Discard
	}
	go func() {
		_, err := io.Copy(console, p.out)
		p.copied <- err
	}()
	if p.in != nil {
		p.in.Close()
		go func() {
			// Ends with QEMU too: writing to a pipe nobody reads fails.
			wire.Copy(p.inW, stdin)
			p.inW.Close()
		}()
	}
}

// wait waits until the console's output has been copied (QEMU has exited: the pipe reaches its
// end), and unblocks the input copier.
func (p *consolePipes) wait() {
	<-p.copied
	p.out.Close()
	if p.inW != nil {
		p.inW.Close()
	}
}

// close closes every end (QEMU did not start).
func (p *consolePipes) close() {
	for _, f := range []*os.File{p.out, p.outW, p.in, p.inW} {
		if f != nil {
			f.Close()
		}
	}
}
