// Package boottest boots the examples and the fault-case programs under testdata as unikgen
// kernels under QEMU and checks their console output and exit status. The same programs also run
// as ordinary Linux programs, which pins the expectations: a kernel must behave like Linux.
//
// The tests need QEMU (qemu-system-x86_64, with qboot) and skip without it; -short skips them.
// Each program is built once, with gen/build and the library OS's generic composition root, and
// shared by the subtests that boot it.
package boottest
