// Command linuxinit is /init of the Linux baseline of internal/bench/netbench: a Debian kernel
// whose initramfs holds the virtio-net modules, this program and the benchmarked program (/app).
// It loads the modules, gives eth0 QEMU user networking's guest address (10.0.2.15/24) and
// replaces itself with /app, so that the same Go program serves on Linux as in the unikernel.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/unikgen/unikgen/internal/bench/linuxvm/guestinit"
)

func main() {
	guestinit.Start()
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		fail("socket: %v", err)
	}
	guestinit.WaitFor("eth0", func() bool { // the driver registers eth0 asynchronously
		ifr, _ := unix.NewIfreq("eth0")
		return unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr) == nil
	})
	set := func(req uint, addr [4]byte) {
		ifr, _ := unix.NewIfreq("eth0")
		if err := ifr.SetInet4Addr(addr[:]); err != nil {
			fail("%v", err)
		}
		if err := unix.IoctlIfreq(s, req, ifr); err != nil {
			fail("ioctl %#x on eth0: %v", req, err)
		}
	}
	set(unix.SIOCSIFADDR, [4]byte{10, 0, 2, 15})
	set(unix.SIOCSIFNETMASK, [4]byte{255, 255, 255, 0})
	ifr, _ := unix.NewIfreq("eth0")
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		fail("SIOCGIFFLAGS: %v", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		fail("SIOCSIFFLAGS: %v", err)
	}
	fmt.Println("linuxinit: eth0 10.0.2.15/24 up; starting /app", strings.Join(os.Args[1:], " "))
	err = syscall.Exec("/app", append([]string{"/app"}, os.Args[1:]...), os.Environ())
	fail("exec /app: %v", err)
}

func fail(format string, args ...any) { guestinit.Fail(format, args...) }
