// Package xenlab boots a PVH kernel under real Xen without a Xen host: QEMU (TCG, -cpu max, which
// emulates SVM with nested paging) runs the Xen 4.17 hypervisor from Debian bookworm, a Debian 6.1
// dom0 kernel boots from a busybox initramfs holding xl, xenstored and xenconsoled, and dom0's
// /init creates the kernel under test as a PVH domU, waits for it to shut down, reports on it on the
// serial port and powers the machine off. One run takes about 15 s on a 2-core machine. It is the
// Xen test harness of unikgen's tests and of `unikgen run -target xen`.
//
// # Use
//
//	if err := xenlab.EnsureCache(ctx, "", os.Stderr); err != nil { ... } // once; prints while building
//	res, err := xenlab.Run(ctx, xenlab.RunOptions{Image: "hello.xen", XLConfig: cfgText})
//	// res.Console, res.ExitStatus (res.HasExitStatus), res.Shutdown, res.XenLog
//
// EnsureCache builds the harness into a cache directory (DefaultCacheDir: $UNIKGEN_XENLAB_CACHE,
// else $XDG_CACHE_HOME/unikgen/xenlab, else ~/.cache/unikgen/xenlab) from Debian packages fetched
// with apt-get download (about 77 MB, once): Xen, the dom0 kernel and modules, the Xen tools,
// busybox, plus bash, ip, losetup, flock and shared libraries from the host. It needs the apt
// package lists (apt-get update) and cpio. The harness directory is keyed by a hash of the embedded
// scripts (files/) and of the package list, so editing dom0-init rebuilds the initramfs.
//
// Run writes a per-run initramfs overlay (/kernel.elf, /pvh.cfg, optionally /disk.img), starts
// qemu-system-x86_64 -M pc -accel tcg,thread=multi -cpu max -smp 2 -m 2048 under a timeout and
// kills that process (its process group, which it leads) when the timeout or the context expires;
// QEMU also dies with the calling process (internal/childproc).
//
// # Exit status on Xen
//
// A PVH domain has no exit code, so the guest and the harness agree on this protocol:
//
//  1. The guest kernel writes its exit status as a decimal string to its xenstore key
//     data/exit-status (relative to /local/domain/<domid>; a WRITE of "data/exit-status" with the
//     value, no trailing NUL), then calls SCHEDOP_shutdown with SHUTDOWN_poweroff. After a fatal
//     kernel error it calls SCHEDOP_shutdown with SHUTDOWN_crash instead (a status may still have
//     been written). unikgen kernels also print "unikgen: exit status N" as their last console line
//     (ConsoleStatusPrefix); Run strips that line and uses it only when xenstore has no status.
//  2. The harness's xl config has on_poweroff, on_reboot and on_crash = "preserve" (Run forces
//     them), so the stopped domain and its xenstore directory survive the shutdown.
//  3. dom0's /init waits until `xl list` shows the domain shut down (state s or c), reads the
//     reason code from `xl list -v` and xenstore-read /local/domain/<domid>/data/exit-status,
//     prints the guest's console log and these values between markers carrying a random per-run
//     token ("===== xenlab result TOKEN =====" ... "===== xenlab end result TOKEN ====="), then
//     runs xl destroy and powers off. A domain still running after RunOptions.Wait is destroyed and
//     reported as Shutdown "destroyed".
//  4. Run parses the markers from the serial log into Result: Console, ExitStatus/HasExitStatus,
//     Shutdown ("poweroff", "crash", "reboot" for a triple fault, "destroyed", ...).
//
// A guest that ends without writing the key (or halts every vCPU with interrupts disabled, which
// Xen treats as a poweroff) is reported as HasExitStatus false, Shutdown "poweroff".
//
// # What the guest sees
//
// PVH entry through the XEN_ELFNOTE_PHYS32_ENTRY note (in a PT_NOTE with p_align 4), hvm_start_info
// in ebx; the PV console (xenconsoled logs it) and no UART; xenstore; by default no devices. An xl
// config may add VifLine (netfront, bridged to dom0's 10.0.2.2/24) and DiskLine (blkfront on
// RunOptions.Disk or a 1 MiB image starting with "UNIKGEN-DISK-OK!"). The first domain is domid 1.
package xenlab

// XenVersion is the Xen release the harness runs (Debian bookworm's xen-hypervisor-4.17-amd64).
const XenVersion = "4.17"

// Memory of the nested machine.
const (
	MachineMiB = 2048 // QEMU's -m
	Dom0MiB    = 768  // dom0_mem
	// MaxGuestMiB is the most memory a domain can get: what Xen and dom0 leave of MachineMiB
	// (measured with Xen 4.17: 1250 MiB boots, 1400 fails in xl create with "can't allocate low
	// memory for domain"), rounded down.
	MaxGuestMiB = 1200
)
