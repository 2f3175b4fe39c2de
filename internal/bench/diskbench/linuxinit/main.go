// Command linuxinit is /init of the Linux baseline of internal/bench/diskbench: a Debian kernel
// whose initramfs holds the virtio-blk and ext4 modules, this program and the benchmarked
// program (/app). It loads the modules, waits for /dev/vda and /dev/vdb, mounts /dev/vda (the
// ext3 volume image) at /data as ext3, runs /app with its arguments, and powers the machine off.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	os.MkdirAll("/proc", 0o755)
	unix.Mount("proc", "/proc", "proc", 0, "")
	if c, err := os.OpenFile("/dev/console", os.O_RDWR, 0); err == nil {
		os.Stdout, os.Stderr = c, c
		unix.Dup2(int(c.Fd()), 1)
		unix.Dup2(int(c.Fd()), 2)
	}
	mods, _ := os.ReadDir("/modules")
	sort.Slice(mods, func(i, j int) bool { return mods[i].Name() < mods[j].Name() }) // NN-name.ko, in load order
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
	for _, d := range []string{"/dev/vda", "/dev/vdb"} {
		for i := 0; ; i++ { // the driver probes asynchronously
			if _, err := os.Stat(d); err == nil {
				break
			}
			if i > 1000 {
				fail("no %s after 10 s", d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.MkdirAll("/data", 0o755)
	if err := unix.Mount("/dev/vda", "/data", "ext3", 0, ""); err != nil {
		fail("mount /dev/vda on /data: %v", err)
	}
	cmd := exec.Command("/app", os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Println("linuxinit: /app:", err)
	}
	unix.Unmount("/data", 0)
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func fail(format string, args ...any) {
	fmt.Printf("linuxinit: "+format+"\n", args...)
	time.Sleep(time.Second)
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	os.Exit(1)
}
