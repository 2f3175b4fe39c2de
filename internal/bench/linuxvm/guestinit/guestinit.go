// Package guestinit is what the /init programs of the Linux baselines (internal/bench/*/linuxinit,
// run inside a Debian kernel that package linuxvm boots) share: the console and the modules of
// the initramfs, waiting for a device the kernel probes asynchronously, and failing.
package guestinit

import (
	"fmt"
	"os"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Start mounts devtmpfs on /dev, makes /dev/console the standard output and error, and loads
// the modules of the initramfs (/modules/NN-name.ko, in name order: linuxvm names them in load
// order).
func Start() {
	unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	if c, err := os.OpenFile("/dev/console", os.O_RDWR, 0); err == nil {
		os.Stdout, os.Stderr = c, c
		unix.Dup2(int(c.Fd()), 1)
		unix.Dup2(int(c.Fd()), 2)
	}
	mods, _ := os.ReadDir("/modules")
	sort.Slice(mods, func(i, j int) bool { return mods[i].Name() < mods[j].Name() })
	for _, m := range mods {
		f, err := os.Open("/modules/" + m.Name())
		if err != nil {
			Fail("%v", err)
		}
		if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && err != unix.EEXIST {
			Fail("loading %s: %v", m.Name(), err)
		}
		f.Close()
	}
}

// WaitFor polls ready every 10 ms, for up to 10 s, until it holds (a driver probes its devices
// asynchronously); then it fails, naming what.
func WaitFor(what string, ready func() bool) {
	for i := 0; !ready(); i++ {
		if i > 1000 {
			Fail("no %s after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Fail prints the message, lets the console drain and powers the machine off.
func Fail(format string, args ...any) {
	fmt.Printf("linuxinit: "+format+"\n", args...)
	time.Sleep(time.Second)
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	os.Exit(1)
}
