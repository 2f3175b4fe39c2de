// Package boottest boots real kernels and checks their console output and exit status:
//
//   - TestBoot: the examples and the fault-case programs under testdata under QEMU (microvm, and
//     q35 for hello), among them the sealing cases: a write to the text or the read-only data, a
//     jump into data, BSS, heap or stack, and an overrun of the main thread's stack, which must
//     fault as on Linux. TestLinux runs the same programs as ordinary Linux programs, which pins
//     the expectations: a kernel must behave like Linux.
//   - TestKernel: behaviours of the library OS itself, with no Linux counterpart: a fault in the
//     kernel, memory exhaustion, clock accuracy against the host, heap churn under memory
//     pressure, SSE state across thread switches, crypto/rand, exec failing cleanly, a large zero
//     BSS in a small machine, the kernel stack's guard page, executable memory refused.
//     TestNotEnoughMemory boots hello in machines too small for it.
//   - TestClockRate: the guest's clock rate and sleeps against the host's clock, over 10 s, with
//     the host's CPUs kept busy by other processes.
//   - files_test.go: the file component, built as `unikgen build` builds (specialised, with a
//     root file system): TestFiles (the baked tree's digest against the host's, EROFS, /etc,
//     /dev, /proc, tmpfs), TestResolvConf (DHCP's DNS server
//     in /etc/resolv.conf), TestStaticSite (net/http serving the root file system through a
//     forwarded port), TestBlockDevice (/dev/vda on microvm and q35), TestHostFiles (CA bundle
//     and zoneinfo advice and flags), TestNoFileLayer (hello links no file component).
//
// The tests need QEMU (qemu-system-x86_64, with qboot) and skip without it, or fail with
// UNIKGEN_TEST_STRICT=1 (internal/testenv); -short skips them.
// The tests under real Xen are in internal/xenboot (one boot of the nested-Xen harness for all).
// Each program is built once, with package pipeline and the library OS's generic composition root,
// and shared by the subtests that boot it. The programs, their expectations and the image cache
// are internal/bootcases', shared with internal/xenboot.
package boottest
