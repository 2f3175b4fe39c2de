// Package libos names the library OS (runtime/, drivers/, services/) to the host-side tools: the
// module and package paths a kernel is built from, the kernel's entry symbol and link address,
// and the build configuration of every kernel. It is the one definition that the analyser, the
// generator, the build, the pipeline, the benchmarks and the tests share (docs/internals.md,
// "Module and build").
package libos

import (
	"strconv"

	"github.com/unikgen/unikgen/runtime/minmem"
)

// Module is the path of the module that provides the library OS.
const Module = "github.com/unikgen/unikgen"

// Import paths of the library OS's packages that the host-side tools name.
const (
	// BootPackage is the library OS's entry package: a main package becomes a kernel when it
	// imports it, and the composition root is generated into it.
	BootPackage = Module + "/runtime/boot"
	// ConfigPackage holds config.Kernel, the configuration a program gives its kernel.
	ConfigPackage = Module + "/config"

	SysPackage       = Module + "/runtime/sys"   // the system-call handlers and sys.Generic
	SysnoPackage     = Module + "/runtime/sysno" // the system-call numbers
	PlatformPackage  = Module + "/runtime/platform"
	PlatformQEMU     = Module + "/runtime/platform/qemu"
	PlatformXen      = Module + "/runtime/platform/xen"
	NetstackPackage  = Module + "/services/netstack"
	VirtioNetPackage = Module + "/services/netstack/virtionet"
	FsPackage        = Module + "/services/fs"
	VirtioBlkPackage = Module + "/services/fs/virtioblk"
	ExtfsPackage     = Module + "/services/fs/extfs"
	XenNetPackage    = Module + "/services/netstack/xennet"
	XenBlkPackage    = Module + "/services/fs/xenblk"
)

// GeneratorPackages are the library OS's packages whose directories the generator reads (the
// composition root's package, the system-call tables, and the Xen platform, which a library OS may
// lack). build.Resolve lists them with the main package, so that a build runs go list once.
var GeneratorPackages = []string{BootPackage, SysPackage, SysnoPackage, PlatformXen}

// EntrySymbol is the kernel's ELF entry point, the PVH entry (the linker's -E): 32-bit code in
// runtime/boot/entry_amd64.s. The analyser takes it as a root of every kernel.
const EntrySymbol = BootPackage + ".pvhEntry"

// TextAddress is the address of the kernel's text (the linker's -T): the page after the ELF
// header, which the linker places at minmem.ImageBase, where the PVH loader puts the image.
const TextAddress = minmem.ImageBase + 0x1000

// LinkFlags are the go build -ldflags of every kernel.
func LinkFlags() string {
	return "-E=" + EntrySymbol + " -T=0x" + strconv.FormatUint(TextAddress, 16)
}

// BuildEnv returns the go command's environment entries for every kernel: the program is an
// ordinary linux/amd64 binary without cgo.
func BuildEnv() []string { return []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"} }
