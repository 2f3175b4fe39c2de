package plan

// This file implements the making of a plan from settings, the library OS tree and an analysis.

import (
	"fmt"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/unikgen/unikgen/analysis"
)

// Settings are the resolved configuration: the program's config.Kernel with the CLI's overrides
// applied, and the build machine's files to bake in. Zero values mean the defaults. RootFS is as
// configured: relative to the main package's directory, or absolute.
type Settings struct {
	config.Kernel
	// HostFiles are sets of the build machine's files baked into the root file system:
	// HostCABundle, HostZoneinfo.
	HostFiles []string
}

// Tree is what the library OS that the program builds against offers, read from its source.
type Tree struct {
	// Handlers maps system-call numbers to the runtime/sys handler of the Generic table.
	Handlers map[int]string
	// Names maps system-call numbers to their names and Consts to the names of their runtime/sysno
	// constants.
	Names  map[int]string
	Consts map[int]string
	// Xen is true when runtime/platform/xen exists.
	Xen bool
}

// ServicesFixed are the system calls that the program-context services make (the relay server,
// gVisor's netstack: getrandom from pkg/rand, getpid from pkg/log), which the analysis of the
// program does not see. The library OS serves them in every kernel with services.
var ServicesFixed = []string{
	"unikgen_relay_wait", "unikgen_relay_done", "unikgen_relay_notify", "unikgen_relay_irq",
	"unikgen_relay_dma", "unikgen_relay_addr", "unikgen_relay_ring", "unikgen_relay_kick",
	"getrandom", "getpid", "sched_yield",
}

// RuntimeFixed are the system calls the Go runtime on linux/amd64 makes whatever the program does,
// some from assembly that the analysis does not see (docs: go-runtime-linux-abi.md §3): thread
// setup, signals, memory, the scheduler, time and the netpoller. The library OS always serves them.
var RuntimeFixed = []string{
	"read", "write", "openat", "close", "pread64", "mmap", "munmap", "madvise", "mprotect",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "arch_prctl", "prctl",
	"sched_getaffinity", "sched_yield", "gettid", "getpid", "clone", "futex", "nanosleep",
	"clock_gettime", "fcntl", "epoll_create1", "eventfd2", "epoll_ctl", "epoll_pwait", "tgkill",
	"kill", "exit", "exit_group",
}

// Error is a plan error caused by a setting; Field names it ("Target").
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// CheckTarget validates a target ("" is the default) against the tree: it returns an *Error
// naming the field Target.
func CheckTarget(t config.Target, tree *Tree) error {
	switch {
	case t == "" || t == config.Any || t == config.QEMU:
	case t == config.Xen:
		if !tree.Xen {
			return &Error{"Target", fmt.Sprintf("target %q: this version of the library OS has no Xen platform (package %s does not exist); use %q or %q", t, libos.PlatformXen, config.QEMU, config.Any)}
		}
	default:
		var want []string
		for _, k := range config.Targets {
			want = append(want, strconv.Quote(string(k)))
		}
		last := len(want) - 1
		return &Error{"Target", fmt.Sprintf("unknown target %q (want %s or %s)", t, strings.Join(want[:last], ", "), want[last])}
	}
	return nil
}

// Check validates settings against the tree: it returns an *Error naming the field.
func Check(s Settings, t *Tree) error {
	if err := CheckTarget(s.Target, t); err != nil {
		return err
	}
	if s.MemoryMiB < 0 || s.MemoryMiB > 1<<20 {
		return &Error{"MemoryMiB", fmt.Sprintf("%d MiB is out of range (1..1048576)", s.MemoryMiB)}
	}
	if strings.ContainsAny(s.Name, "/\\ \"\x00") {
		return &Error{"Name", fmt.Sprintf("name %q must not contain '/', '\\', '\"', spaces or NUL", s.Name)}
	}
	if err := networkOf(s.Kernel).check(); err != nil {
		return err
	}
	if err := CheckVolumes(VolumePaths(s.Volumes)); err != nil {
		return err
	}
	for i, e := range s.Env {
		if err := cmdline.CheckEnv(e); err != nil {
			return &Error{fmt.Sprintf("Env[%d]", i), err.Error()}
		}
	}
	if n := len(s.Env) + len(s.Args) + 1; n > cmdline.MaxWords {
		return &Error{"Args", fmt.Sprintf("%d command-line words, the kernel takes at most %d", n, cmdline.MaxWords)}
	}
	return nil
}

// Make returns the plan for the program analysed in res. When generic is set, res may be nil and
// the plan links every component and every system call.
func Make(pkg string, s Settings, t *Tree, res *analysis.Result, generic bool) (*Plan, error) {
	if err := Check(s, t); err != nil {
		return nil, err
	}
	if !generic && res == nil {
		return nil, fmt.Errorf("plan: no analysis for a specialised plan")
	}
	p := &Plan{
		Package:       pkg,
		Generic:       generic,
		Target:        s.Target,
		Name:          s.Name,
		MemoryMiB:     s.MemoryMiB,
		Args:          append([]string{}, s.Args...),
		Env:           append([]string{}, s.Env...),
		DebugSyscalls: s.DebugSyscalls,
		Unsupported:   []analysis.Diagnostic{},
	}
	if p.Target == "" {
		p.Target = config.Any
	}
	if p.Name == "" {
		p.Name = "unikgen"
		if pkg != "" {
			p.Name = path.Base(pkg)
		}
	}
	if p.MemoryMiB == 0 {
		p.MemoryMiB = DefaultMemoryMiB
	}
	var err error
	if p.Cmdline, err = cmdline.Encode(p.Env, p.Args); err != nil {
		return nil, &Error{"Args", err.Error()}
	}
	if res != nil && !generic {
		p.Unsupported = append(p.Unsupported, res.Unsupported...)
		if res.Reflection.AllMethods || len(res.Reflection.Names) > 0 {
			r := res.Reflection
			p.Reflection = &r
		}
	}
	p.RootFS = s.RootFS
	p.HostFiles = append([]string(nil), s.HostFiles...)
	p.Volumes = VolumePaths(s.Volumes)
	p.Components = components(p, t, res, generic)
	p.Syscalls = syscallTable(t, res, generic, p.Services())
	if p.Services() {
		n := networkOf(s.Kernel)
		p.Network = &n
	}
	return p, nil
}

func components(p *Plan, t *Tree, res *analysis.Result, generic bool) []Component {
	capWitness := func(name string) (analysis.Path, bool) {
		if res == nil || generic {
			return nil, false
		}
		c, ok := res.Capability(name)
		return c.Witness, ok
	}
	uncertain := func(name string) bool {
		if res == nil || generic {
			return false
		}
		c, _ := res.Capability(name)
		return c.Uncertain
	}
	var cs []Component
	// Platforms.
	q := Component{Name: "platform/qemu", Package: libos.PlatformQEMU}
	switch p.Target {
	case config.QEMU:
		q.In, q.Reason = true, "target qemu"
	case config.Any:
		q.In, q.Reason = true, "target any: QEMU/KVM is detected at boot"
	default:
		q.Reason = "target " + string(p.Target)
	}
	x := Component{Name: "platform/xen", Package: libos.PlatformXen}
	switch {
	case !t.Xen:
		x.Reason = "this version of the library OS has no Xen platform"
	case p.Target == config.Xen:
		x.In, x.Reason = true, "target xen"
	case p.Target == config.Any:
		x.In, x.Reason = true, "target any: Xen is detected at boot"
	default:
		x.Reason = "target " + string(p.Target)
	}
	cs = append(cs, q, x)

	// Parts of every kernel.
	c := Component{Name: "console", In: true, Reason: "the platform's console (16550 UART on QEMU, PV console on Xen) carries standard output, standard error and kernel messages"}
	if w, ok := capWitness("console"); ok {
		c.Witness = w
	}
	cs = append(cs, c)
	c = Component{Name: "clock", In: true, Reason: "the Go runtime reads the monotonic and wall clocks"}
	if w, ok := capWitness("clock"); ok {
		c.Witness = w
	}
	cs = append(cs, c)
	c = Component{Name: "signals", In: true, Reason: "the Go runtime installs signal handlers and preempts goroutines with SIGURG"}
	if w, ok := capWitness("signals"); ok {
		c.Witness = w
	}
	cs = append(cs, c)

	// Parts that follow the program's use.
	use := func(name, capName, inReason, outReason string) Component {
		c := Component{Name: name}
		if generic {
			c.In, c.Reason = true, "generic kernel"
			return c
		}
		if w, ok := capWitness(capName); ok {
			c.In, c.Reason, c.Witness, c.Maybe = true, inReason, w, uncertain(capName)
			return c
		}
		c.Reason = outReason
		return c
	}
	cs = append(cs, use("random", "random", "the program reads random numbers (getrandom)", "the program reads no random numbers"))

	net := use("network", "sockets", "the program uses sockets: gVisor's netstack serves them, with a loopback interface and the machine's network device",
		"the program makes no socket")
	net.Package = libos.NetstackPackage
	cs = append(cs, net)
	files := use("files", "files", "the program uses files: the file component (services/fs) serves them",
		"the program opens no files (paths get ENOENT)")
	programFiles := files.In && !generic
	vols := Component{Name: "volumes", Package: libos.ExtfsPackage}
	switch {
	case generic:
		vols.In, vols.Reason = true, "generic kernel: volumes given at boot (UNIKGEN_VOLUMES) are mounted"
	case len(p.Volumes) > 0:
		vols.In, vols.Reason = true, "the configuration mounts volumes at "+strings.Join(p.Volumes, ", ")+" (ext3 on the machine's block devices)"
	default:
		vols.Reason = "the configuration has no volumes"
	}
	cs = append(cs, vols)
	switch {
	case files.In:
	case len(p.Volumes) > 0:
		files.In, files.Reason = true, "the configuration mounts volumes"
	case p.RootImage():
		files.In, files.Reason = true, "the configuration bakes in a root file system (RootFS, or the build machine's CA bundle or zoneinfo)"
	case net.In:
		files.In, files.Reason, files.Witness = true, "the network component is in: Go's resolver reads /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf", net.Witness
		files.Maybe = net.Maybe
	}
	files.Package = libos.FsPackage
	cs = append(cs, files)
	// Block devices (/dev/vda...) come with the program's own use of files: a program that
	// only resolves names or reads its root file system opens no disk.
	// Their drivers are the platform's: virtio-blk on QEMU (/dev/vda...), blkfront on Xen
	// (/dev/xvda...); a target-any kernel links both.
	blk := Component{Name: "block", Package: libos.VirtioBlkPackage}
	if p.Target == config.Xen {
		blk.Package = libos.XenBlkPackage
	}
	switch {
	case generic:
		blk.In, blk.Reason = true, "generic kernel"
	case programFiles:
		blk.In, blk.Reason, blk.Witness = true, "the program uses files: the machine's block devices are /dev/vda, /dev/vdb... (/dev/xvda... on Xen)", files.Witness
		blk.Maybe = files.Maybe
	case len(p.Volumes) > 0:
		blk.In, blk.Reason = true, "the volumes live on the machine's block devices"
	default:
		blk.Reason = "the program opens no files of its own"
	}
	cs = append(cs, blk)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}

func syscallTable(t *Tree, res *analysis.Result, generic, services bool) Syscalls {
	by := map[int][]string{}
	add := func(nr int, who string) {
		for _, w := range by[nr] {
			if w == who {
				return
			}
		}
		by[nr] = append(by[nr], who)
	}
	var out Syscalls
	if res != nil && !generic {
		for _, c := range res.Syscalls.Calls {
			if c.Program {
				add(c.Nr, "program")
			}
			if c.Runtime {
				add(c.Nr, "runtime")
			}
		}
		out.All = res.Syscalls.All
		out.Unknown = res.Syscalls.Unknown
	}
	if !generic {
		nums := map[string]int{}
		for nr, n := range t.Names {
			nums[n] = nr
		}
		for _, n := range RuntimeFixed {
			if nr, ok := nums[n]; ok {
				add(nr, "fixed")
			}
		}
		if services {
			for _, n := range ServicesFixed {
				if nr, ok := nums[n]; ok {
					add(nr, "services")
				}
			}
		}
	}
	// A call of the fixed set is "fixed", not also "runtime": whether this Go release's runtime
	// makes it where the analysis sees it (rt_sigreturn until Go 1.27) does not change the kernel.
	for nr, who := range by {
		if slices.Contains(who, "fixed") {
			by[nr] = slices.DeleteFunc(who, func(w string) bool { return w == "runtime" })
		}
	}
	if generic {
		out.All = true
	}
	if out.All {
		for nr := range t.Handlers {
			if len(by[nr]) == 0 {
				by[nr] = []string{"generic"}
			}
		}
	}
	out.Calls, out.ENOSYS = []Syscall{}, []Syscall{}
	for nr, who := range by {
		sort.Strings(who)
		sc := Syscall{Nr: nr, Name: t.Names[nr], Handler: t.Handlers[nr], By: who}
		if sc.Name == "" {
			sc.Name = fmt.Sprintf("syscall_%d", nr)
		}
		if sc.Handler == "" {
			out.ENOSYS = append(out.ENOSYS, sc)
		} else {
			out.Calls = append(out.Calls, sc)
		}
	}
	sort.Slice(out.Calls, func(i, j int) bool { return out.Calls[i].Nr < out.Calls[j].Nr })
	sort.Slice(out.ENOSYS, func(i, j int) bool { return out.ENOSYS[i].Nr < out.ENOSYS[j].Nr })
	return out
}
