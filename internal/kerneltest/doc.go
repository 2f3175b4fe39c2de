// Package kerneltest runs Go packages' tests inside unikgen kernels: `unikgen test`.
//
// For each package, the test binary that `go test -c` makes (its main is the testing main that
// the go command generates) is built with the library OS and booted under QEMU with the test
// flags (-test.run, -test.v, -test.count, ...) as its arguments; the result is reported as
// go test reports it ("ok  \tPKG\t0.120s", "FAIL\tPKG\t0.120s", "?   \tPKG\t[no test files]"),
// and the run fails as go test fails.
//
// How a test binary becomes a kernel:
//   - The library OS enters through an external test file added with go build -overlay
//     (TestFile, package NAME_test): it imports runtime/boot and, in its init, changes to the
//     package's directory, where go test runs a test binary.
//   - The kernel is the generic one (every component, every system call; gen/plan's generic
//     plan): the analysis that specialises a program's kernel starts from a main package, and a
//     test binary's main package exists only inside the go command. A test kernel is therefore
//     bigger than the program's, and it can do everything the library OS can.
//   - The package directory's files, and the testdata directories of the package and of its
//     parents up to the module root, are baked in as the read-only root file system, at their own paths (RootEntries); /tmp is the library OS's writable tmpfs
//     (docs/files.md), so t.TempDir works. The tmpfs hides the root file system's /tmp, so a
//     package under /tmp on the host (a module in a temporary directory) has its directory under
//     /unikgen-test in the kernel (KernelDir), and its host path a symbolic link to it in the
//     tmpfs: relative and absolute paths work, os.Getwd differs.
//
// Not supported: tests that write into the package directory (it is read-only), that start
// processes (os/exec: a unikernel has one program), that read other files (other packages'
// directories, $GOROOT), and packages that the library OS itself imports (an import
// cycle through runtime/boot). go test -c runs go test's vet checks. Reference: `go help test` and
// `go help testflag` (Go 1.26) for the output and the flags.
package kerneltest
