// Package config is the configuration a program gives its unikgen kernel. It is written in Go, in the
// program's main package, as a package-level literal that is never executed:
//
//	import "github.com/unikgen/unikgen/config"
//
//	var _ = config.Kernel{
//		Target:    config.QEMU,
//		MemoryMiB: 64,
//		Args:      []string{"-listen", ":8080"},
//		Env:       []string{"GODEBUG=madvdontneed=1"},
//	}
//
// unikgen reads the literal from the program's syntax with go/types, so gopls type-checks and
// completes it like any Go code; every field must be a constant (or, for Args and Env, a literal of
// constants). A program has at most one such literal. Command-line flags of unikgen override it.
//
// The fields fall into two groups, kept apart on purpose (MirageOS had to split them later):
//
//   - Configure-time settings decide what the kernel is. They become constants in the generated
//     composition root, so the compiler and linker drop what they exclude: Target, Name,
//     DebugSyscalls. MemoryMiB is a deployment setting of the same kind: it goes into the plan,
//     `unikgen run` and the deployment files, not into the image.
//   - Boot-time defaults reach the program the way a Linux process gets them: Args become
//     os.Args[1:] and Env the environment. They are baked into the kernel as its default command
//     line, used only when the boot command line (QEMU -append, Xen cmdline) is empty, so they can
//     be replaced at boot without rebuilding.
//
// The package has no init-time work and depends only on strings (for CheckVolumePath);
// importing it adds nothing to a kernel.
package config

import "strings"

// A Target is the platform a kernel runs on.
type Target string

// Targets.
const (
	// Any builds a kernel that detects at boot whether it runs on Xen or on QEMU/KVM and links the
	// platform code of both. It is the default.
	Any Target = "any"
	// QEMU builds a kernel for QEMU/KVM PC-like machines only (microvm, q35, pc).
	QEMU Target = "qemu"
	// Xen builds a kernel for Xen PVH domains only.
	Xen Target = "xen"
)

// Targets are the known targets, Any first.
var Targets = [...]Target{Any, QEMU, Xen}

// Known reports whether t is one of Targets; "" (the default, Any) is not.
func (t Target) Known() bool {
	for _, k := range Targets {
		if t == k {
			return true
		}
	}
	return false
}

// Kernel configures the kernel built from the main package that holds the literal. The zero value
// of each field means "the default".
type Kernel struct {
	// Target is the platform the kernel runs on: Any (default), QEMU or Xen. Configure-time.
	Target Target

	// Name is the program's name: os.Args[0] and the base name of the image. The default is the
	// last element of the main package's import path. Configure-time.
	Name string

	// MemoryMiB is the guest memory in MiB that `unikgen run` and the generated deployment files
	// give the kernel (default 128). Deployment setting: it is not compiled into the image. The
	// kernel tells the Go runtime this size (GOMEMLIMIT), so the heap stays within it.
	MemoryMiB int

	// Args are the default program arguments, os.Args[1:]. Boot-time default: a non-empty boot
	// command line replaces them.
	Args []string

	// Env is the default environment, as "KEY=VALUE" entries. Boot-time default: a non-empty boot
	// command line replaces it.
	Env []string

	// DebugSyscalls makes the kernel print the name of the first call of each system call that it
	// answers with ENOSYS. Configure-time.
	DebugSyscalls bool

	// The network configuration of the first interface, for a program that uses sockets. The
	// default is DHCPv4 and no IPv6. These are built into the kernel as defaults; each can be
	// overridden at boot by an environment variable of the kernel command line
	// (UNIKGEN_NET_IPV4=10.0.2.15/24, UNIKGEN_NET_GATEWAY4, UNIKGEN_NET_IPV6, UNIKGEN_NET_GATEWAY6,
	// UNIKGEN_NET_DNS=10.0.2.3,1.1.1.1; docs/network.md).

	// IPv4 is a static IPv4 address with its prefix length ("10.0.2.15/24"); empty means DHCPv4.
	IPv4 string
	// Gateway4 is the IPv4 default gateway ("10.0.2.2"); with DHCP, the lease's router.
	Gateway4 string
	// IPv6 is a static IPv6 address with its prefix length ("fd00::15/64").
	IPv6 string
	// Gateway6 is the IPv6 default gateway.
	Gateway6 string
	// DNS are the DNS servers ("10.0.2.3"); with DHCP, the lease's.
	DNS []string

	// RootFS is a directory, relative to the main package's directory, whose tree becomes the
	// kernel's root file system: baked into the image, read-only (writes get EROFS; /tmp is
	// writable). `unikgen build -rootfs DIR` overrides it. Configure-time. docs/files.md.
	RootFS string

	// Volumes are persistent file systems, each on a block device of the machine (the first
	// volume on the first device, /dev/vda, and so on), mounted at its Path: ext3 volumes that
	// `unikgen run -volume HOSTFILE:PATH` creates when the image file is missing, and that the
	// host's e2fsprogs (mke2fs -t ext3, e2fsck, debugfs) make, check and read. Writes are
	// journaled: fsync makes them durable, a crash loses nothing fsync'd and leaves the
	// volume clean. Configure-time: the kernel links the volume code only when it has volumes.
	// docs/files.md.
	Volumes []Volume
}

// A Volume is a persistent file system mounted at Path, an absolute path outside /dev, /proc
// and /tmp (for example "/data").
type Volume struct {
	Path string
}

// CheckVolumePath says what is wrong with a volume's mount point, or returns nil.
func CheckVolumePath(p string) error {
	q := `"` + p + `"`
	switch {
	case p == "":
		return pathError("empty path")
	case p[0] != '/':
		return pathError(q + " is not absolute")
	case p == "/":
		return pathError(`"/" is the root file system`)
	case len(p) > 1 && p[len(p)-1] == '/' || strings.Contains(p, "//") || strings.Contains(p+"/", "/./") || strings.Contains(p+"/", "/../"):
		return pathError(q + " is not a clean path (no trailing '/', '//', '.' or '..')")
	case strings.ContainsAny(p, "\x00,"):
		return pathError(q + " holds a NUL or a comma")
	}
	for _, r := range []string{"/dev", "/proc", "/tmp"} {
		if p == r || strings.HasPrefix(p, r+"/") {
			return pathError(q + " is inside " + r + ", which the library OS provides")
		}
	}
	for _, c := range strings.Split(p[1:], "/") {
		if len(c) > 255 {
			return pathError(q + " has a name longer than 255 bytes")
		}
	}
	return nil
}

// pathError is an error of CheckVolumePath (the package avoids fmt and errors: importing it
// must cost a program nothing).
type pathError string

func (e pathError) Error() string { return string(e) }
