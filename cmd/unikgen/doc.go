/*
Unikgen compiles an ordinary Go main package and the unikgen library OS into a standalone x86-64
kernel with a Xen PVH entry point, and boots it under QEMU.

Usage:

	unikgen <command> [arguments]

The commands are:

	build [-o FILE] [PACKAGE]
		Build the kernel image of PACKAGE (default ".") and print its size. The image is
		written to FILE, by default the package's last import path element plus ".xen" in
		the current directory. The package's source tree is never written to.

	run [flags] [PACKAGE] [-- ARGS...]
		Build PACKAGE into a temporary directory and boot it under QEMU. The serial console
		(the program's stdout and stderr) goes to standard output; ARGS become os.Args[1:].
		Flags:
			-m MiB            guest memory (default 64)
			-timeout D        kill the guest after D (default 60s)
			-accel tcg|kvm    QEMU accelerator (default tcg)
			-machine microvm|q35
			                  QEMU machine (default microvm, booted by qboot)
			-env KEY=VALUE    an environment variable of the program (repeatable)

	help [command]
		Print this text.

Environment variables and arguments travel on the kernel command line (see docs/internals.md,
"Boot command line"); they are boot-time settings, not part of the image.

Exit status: build exits 0 when the image was written. run exits with the program's own exit
status. Both exit 1 when go build fails (its messages are printed unchanged) or the guest crashed,
2 for a usage error, a package that is not a main package or that cannot be found, or a missing
QEMU, and run exits 124 when the timeout expired (as timeout(1) does).

A module outside this repository must require github.com/unikgen/unikgen. The program does not
import it itself (unikgen adds the import at build time), so keep the requirement with a tool
directive: go get -tool github.com/unikgen/unikgen/cmd/unikgen, then go tool unikgen run .
*/
package main
