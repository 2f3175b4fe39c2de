// Command linuxinit is /init of the Linux baseline of internal/bench/netbench: a Debian kernel
// whose initramfs holds the virtio-net modules, this program and the benchmarked program (/app).
// It loads the modules, gives eth0 QEMU user networking's guest address (10.0.2.15/24) and
// replaces itself with /app, so that the same Go program serves on Linux as in the unikernel.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	if c, err := os.OpenFile("/dev/console", os.O_RDWR, 0); err == nil {
		os.Stdout, os.Stderr = c, c
		unix.Dup2(int(c.Fd()), 1)
		unix.Dup2(int(c.Fd()), 2)
	}
	mods, _ := os.ReadDir("/modules")
	sort.Slice(mods, func(i, j int) bool { return mods[i].Name() < mods[j].Name() }) // named NN-name.ko, in load order
	for _, m := range mods {
		f, err := os.Open("/modules/" + m.Name())
		if err != nil {
			fail("%v", err)
		}
		if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && err != unix.EEXIST {
			fail("loading %s: %v", m.Name(), err)
		}
		f.Close()
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		fail("socket: %v", err)
	}
	for i := 0; ; i++ { // the driver registers eth0 asynchronously
		ifr, _ := unix.NewIfreq("eth0")
		if unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr) == nil {
			break
		}
		if i > 1000 {
			fail("no eth0 after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
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

func fail(format string, args ...any) {
	fmt.Printf("linuxinit: "+format+"\n", args...)
	time.Sleep(time.Second)
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	os.Exit(1)
}
