// Package qemu boots a unikgen kernel under QEMU: it builds the QEMU command line of
// docs/internals.md ("Exit status on QEMU"), encodes the program's environment and arguments as
// the kernel command line ("Boot command line"), streams the serial console, enforces a timeout
// and turns what QEMU leaves behind into the program's exit status.
//
// The exit status travels two ways. The kernel writes it in decimal to the isa-debugcon port
// 0x402, which QEMU copies into a file, then writes it to the isa-debug-exit port 0xf4, after
// which QEMU exits with (status << 1) | 1. [Run] trusts the file first, since it is exact for every
// status; when the file is empty it falls back to QEMU's exit code (exact for 0..127). QEMU exiting
// 0 without a status means the machine reset; with -no-reboot that is a triple fault, a kernel crash.
//
// References: QEMU docs/system/i386/microvm.rst (machine options), hw/misc/debugexit.c and
// hw/char/debugcon.c (the exit devices), hw/i386/x86-common.c (PVH -kernel loading).
package qemu
