// Package xenboot boots kernels under real Xen 4.17 nested in QEMU TCG (internal/xenlab) and
// checks their console output, exit status and network service. It is a package of its own so
// that the Xen tests, which are slow (one boot of the harness takes minutes on a loaded
// machine), have go test's per-package timeout to themselves, apart from internal/boottest.
//
// TestXen runs every domain as a step of ONE boot of the harness (booting Xen and dom0 under
// TCG is most of a run's time):
//
//   - programs of internal/boottest's TestBoot (hello, goroutines, a panic, sealing cases, the
//     stack guard) with the same expectations and golden files (internal/bootcases); crypto/rand and a large zero
//     BSS in 16 MiB; a xenstore program built with -target xen. Exit statuses must come from
//     xenstore (data/exit-status).
//   - internal/boottest/testdata/files with its root file system.
//   - the network over netfront and dom0's netback (bridge xenbr0, DHCP from dom0):
//     examples/http (-target xen) serving 500 requests over 8 connections and /status to a
//     client in dom0 (internal/boottest/testdata/dom0client); the kernel as an HTTP, TCP and
//     UDP client of dom0client serve (testdata/netclient); a backend that goes away (xl
//     network-detach) while the kernel reads a connection: the read and a new dial must fail
//     (testdata/netdetach).
//   - a persistent volume (ext3 on /dev/xvda, blkfront and dom0's blkback): files saved and
//     fsync'd, the domain destroyed, a second domain on the same disk reads them back.
//
// The tests need QEMU and the harness's tools; they skip without them, or fail with
// UNIKGEN_TEST_STRICT=1 (internal/testenv); -short skips them.
package xenboot
