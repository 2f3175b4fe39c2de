// Package plan turns a kernel's configuration and the whole-program analysis of its program into a
// kernel plan: pure data saying what the kernel contains (platform, components, system calls) and how
// it starts (name, default command line, memory). A plan is deterministic and JSON-encodable;
// `unikgen explain` prints it and gen/emit turns it into the composition root.
package plan

import (
	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/libos"
)

// DefaultMemoryMiB is the guest memory when the configuration gives none: room for a typical small
// Go service (docs/libos.md, "Memory", says why 128).
const DefaultMemoryMiB = 128

// Plan is what a kernel contains and how it starts.
type Plan struct {
	// Package is the main package's import path ("" for the program-independent generic plan).
	Package string `json:"package,omitempty"`
	// Generic is true for a plan that links every component and every system call.
	Generic bool `json:"generic"`
	// Target is the platform: config.Any, QEMU or Xen.
	Target config.Target `json:"target"`
	// Name is os.Args[0] and the image's base name.
	Name string `json:"name"`
	// MemoryMiB is the guest memory (a deployment setting, not compiled in).
	MemoryMiB int `json:"memory_mib"`
	// Args and Env are the boot-time defaults; Cmdline is them encoded as a kernel command line
	// (docs/internals.md, "Boot command line"), used when the boot command line is empty.
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Cmdline string   `json:"cmdline"`
	// DebugSyscalls makes ENOSYS calls print their name once.
	DebugSyscalls bool `json:"debug_syscalls"`
	// Components are the library OS's components, in and out, sorted by name.
	Components []Component `json:"components"`
	// Syscalls is the dispatch table.
	Syscalls Syscalls `json:"syscalls"`
	// Network is the configuration of the network component, when it is in.
	Network *Network `json:"network,omitempty"`
	// RootFS is the directory baked in as the root file system, as configured ("" for none).
	RootFS string `json:"rootfs,omitempty"`
	// HostFiles are the build machine's files baked into the root file system (HostCABundle,
	// HostZoneinfo).
	HostFiles []string `json:"host_files,omitempty"`
	// Volumes are the mount points of the persistent volumes, on the first block devices in
	// order.
	Volumes []string `json:"volumes,omitempty"`
	// Reflection is the analysis's reflection finding (informational).
	Reflection *analysis.Reflection `json:"reflection,omitempty"`
	// Warnings are things the user should know about the kernel: it builds, but may not do what
	// they expect.
	Warnings []string `json:"warnings,omitempty"`
	// Unsupported lists reachable uses of APIs a unikernel cannot provide. A kernel is not built
	// while it is not empty.
	Unsupported []analysis.Diagnostic `json:"unsupported"`
}

// A Component is one part of the library OS.
type Component struct {
	Name string `json:"name"`
	In   bool   `json:"in"`
	// Package is the import path the composition root imports for it, if it is a package of its
	// own; otherwise the component is a group of system-call handlers in runtime/sys or part of
	// the platform.
	Package string `json:"package,omitempty"`
	// Reason says why it is in or out.
	Reason string `json:"reason"`
	// Witness is a call path from main to a use, when the program's use decides.
	Witness analysis.Path `json:"witness,omitempty"`
	// Maybe is set on a component that is in only because of a use that every path reaches
	// through an edge type flow did not confirm (analysis.Capability.Uncertain): the program may
	// never use it. It stays in, as the linker would keep it; Witness.Unconfirmed() is the first
	// such edge on the witness.
	Maybe bool `json:"maybe,omitempty"`
}

// State is "in", "out", or "maybe" for a component that is in on an unconfirmed use.
func (c Component) State() string {
	switch {
	case c.In && c.Maybe:
		return "maybe"
	case c.In:
		return "in"
	}
	return "out"
}

// Syscalls is the system-call table of the kernel.
type Syscalls struct {
	// All is true when every handler is linked: in a generic plan, or when the program can make a
	// system call whose number is not a constant. Unknown lists those call sites.
	All     bool                   `json:"all"`
	Unknown []analysis.UnknownSite `json:"unknown,omitempty"`
	// Calls are the system calls the kernel answers, by number.
	Calls []Syscall `json:"calls"`
	// ENOSYS are the calls the program can make that the library OS has no handler for: they
	// fail with ENOSYS.
	ENOSYS []Syscall `json:"enosys"`
}

// A Syscall is one entry of the table.
type Syscall struct {
	Nr   int    `json:"nr"`
	Name string `json:"name"`
	// Handler is the runtime/sys function serving it ("" in ENOSYS).
	Handler string `json:"handler,omitempty"`
	// By says who makes the call: "program" (the program and the standard library), "runtime"
	// (the Go runtime, as found by the analysis) and "fixed" (the runtime's fixed set, which the
	// library OS serves whatever the analysis finds; a call of that set is "fixed" only, not also
	// "runtime", so that the table does not change with the Go release). "generic" marks a call
	// present only because the plan is generic.
	By []string `json:"by"`
}

// Component returns the named component.
func (p *Plan) Component(name string) (Component, bool) {
	for _, c := range p.Components {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// Services reports whether the kernel links a component that runs in program context behind
// the relay (runtime/relay): the network stack or the file component.
func (p *Plan) Services() bool { return p.Has("network") || p.Has("files") }

// Sets of the build machine's files that a kernel can bake in.
const (
	HostCABundle = "ca-bundle" // the TLS root certificates, as /etc/ssl/certs/ca-certificates.crt
	HostZoneinfo = "zoneinfo"  // the time zone database, as /usr/share/zoneinfo
)

// RootImage reports whether the kernel has a root file system image.
func (p *Plan) RootImage() bool { return p.RootFS != "" || len(p.HostFiles) > 0 }

// Has reports whether the named component is in.
func (p *Plan) Has(name string) bool {
	c, ok := p.Component(name)
	return ok && c.In
}

// Platforms returns the import paths of the platform packages in the plan, sorted.
func (p *Plan) Platforms() []string {
	var out []string
	for _, c := range p.Components {
		if c.In && (c.Package == libos.PlatformQEMU || c.Package == libos.PlatformXen) {
			out = append(out, c.Package)
		}
	}
	return out
}
