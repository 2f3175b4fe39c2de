// Command linuxinit is /init of the Linux baseline of internal/bench/diskbench: a Debian kernel
// whose initramfs holds the virtio-blk and ext4 modules, this program and the benchmarked
// program (/app). It loads the modules, waits for /dev/vda and /dev/vdb, mounts /dev/vda (the
// ext3 volume image) at /data as ext3, runs /app with its arguments, and powers the machine off.
package main

import (
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/unikgen/unikgen/internal/bench/linuxvm/guestinit"
)

func main() {
	guestinit.Start()
	os.MkdirAll("/proc", 0o755)
	unix.Mount("proc", "/proc", "proc", 0, "")
	for _, d := range []string{"/dev/vda", "/dev/vdb"} {
		guestinit.WaitFor(d, func() bool { _, err := os.Stat(d); return err == nil })
	}
	os.MkdirAll("/data", 0o755)
	if err := unix.Mount("/dev/vda", "/data", "ext3", 0, ""); err != nil {
		guestinit.Fail("mount /dev/vda on /data: %v", err)
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
