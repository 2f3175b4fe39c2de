// Package capability derives the services a program needs from the library
// OS — console, clock, randomness, sockets by kind, files, block devices,
// signals and process control — from its reachable code.
//
// A capability is used when a reachable function triggers it. The triggers
// are data (see Table): standard-library functions (time.Now,
// os/signal.Notify, ...), system calls made outside the runtime (openat,
// socket, getrandom, ...), package variables (os.Stdout) and built-ins
// (println), and packages (unikgen's block drivers). The runtime's own
// system calls are not triggers: every kernel serves them.
//
// Sockets are refined into kinds (tcp4, tcp6, udp4, udp6, ip4, ip6, unix,
// unixgram, unixpacket, netlink, packet) from the network names that reach
// package net's API (net.Listen("tcp", ...) means tcp4 and tcp6) and from
// constant socket() arguments outside package net; a name that is not a
// constant means every kind.
//
// Each capability and kind carries a witness: a shortest call path from a
// root to a use, static edges first.
package capability

import (
	"go/constant"
	"go/token"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/reach"
	"github.com/unikgen/unikgen/analysis/syscalls"
	"golang.org/x/tools/go/ssa"
)

// Names of the capabilities, in report order.
const (
	Console = "console"
	Clock   = "clock"
	Random  = "random"
	Sockets = "sockets"
	Files   = "files"
	Block   = "block"
	Signals = "signals"
	Process = "process"
)

// Triggers of one capability.
type Triggers struct {
	Funcs    []string // linker-style symbols of functions
	Syscalls []string // system calls made outside the runtime
	Globals  []string // package variables, "pkg.Name"
	Builtins []string // built-in functions
	Packages []string // package paths (any reachable function)
	// Except are functions whose uses do not count: paths through them are ignored.
	Except []string
}

// Table maps each capability to its triggers.
var Table = map[string]Triggers{
	Console: {
		Globals:  []string{"os.Stdin", "os.Stdout", "os.Stderr"},
		Builtins: []string{"print", "println"},
	},
	Clock: {
		Funcs: []string{"time.Now", "time.Since", "time.Until", "time.Sleep", "time.NewTimer",
			"time.NewTicker", "time.After", "time.AfterFunc", "time.Tick"},
		Syscalls: []string{"clock_gettime", "gettimeofday", "time", "clock_nanosleep", "nanosleep", "timerfd_create"},
	},
	Random: {
		Funcs:    []string{"crypto/rand.Read", "crypto/internal/sysrand.Read", "internal/syscall/unix.GetRandom"},
		Syscalls: []string{"getrandom"},
	},
	Sockets: {
		Syscalls: []string{"socket", "socketpair"},
	},
	Files: {
		Syscalls: []string{"open", "openat", "openat2", "creat", "stat", "lstat", "newfstatat", "statx",
			"mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
			"getdents64", "readlink", "readlinkat", "symlink", "symlinkat", "link", "linkat", "chmod",
			"fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "truncate", "chdir", "getcwd",
			"access", "faccessat", "faccessat2", "utimensat", "mknodat"},
		// Package time reads zoneinfo files (time.LoadLocation, and /etc/localtime for
		// time.Local in every program that prints a time). Without a root file system those
		// files cannot exist, so these reads alone do not need the file component: the kernel
		// answers ENOENT and time falls back on UTC (or on embedded time/tzdata).
		Except: []string{"time.open", "time.read", "time.preadn", "time.closefd"},
	},
	Block: {
		Packages: []string{"github.com/unikgen/unikgen/drivers/virtio/blk", "github.com/unikgen/unikgen/drivers/xen/blkfront"},
	},
	Signals: {
		Funcs: []string{"os/signal.Notify", "os/signal.Ignore", "os/signal.Reset", "os.(*Process).Signal",
			"syscall.Kill"},
		Syscalls: []string{"kill", "tgkill", "tkill", "rt_sigqueueinfo", "signalfd4", "pidfd_send_signal"},
	},
	Process: {
		Funcs: []string{"os.FindProcess", "os.(*Process).Kill", "os.(*Process).Release"},
		Syscalls: []string{"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
			"setsid", "setpgid", "capset", "unshare", "setns", "setrlimit", "sched_setaffinity",
			"setpriority", "pidfd_open", "personality", "chroot"},
	},
}

// Order is the order in which capabilities are reported.
var Order = []string{Console, Clock, Random, Sockets, Files, Block, Signals, Process}

// A Capability is one used capability with its witness. Uncertain is set
// when every path to a use takes an edge that RTA finds but type flow does
// not confirm (see reach.Result.Refine).
type Capability struct {
	Name      string
	Kinds     []Kind
	Witness   reach.Path
	Uncertain bool
}

// A Kind refines a capability (sockets only, for now).
type Kind struct {
	Name      string
	Witness   reach.Path
	Uncertain bool
}

// A Collector records, while reach runs, which reachable functions use
// package variables and built-ins.
type Collector struct {
	globals  map[string]bool
	builtins map[string]bool
	uses     map[string][]use // by "global:pkg.Name" or "builtin:name"
	seen     map[useKey]bool
}

type use struct {
	fn  *ssa.Function
	pos token.Pos
}

type useKey struct {
	what string
	fn   *ssa.Function
}

// NewCollector returns a Collector for the globals and built-ins of Table.
func NewCollector() *Collector {
	c := &Collector{globals: map[string]bool{}, builtins: map[string]bool{}, uses: map[string][]use{}, seen: map[useKey]bool{}}
	for _, t := range Table {
		for _, g := range t.Globals {
			c.globals[g] = true
		}
		for _, b := range t.Builtins {
			c.builtins[b] = true
		}
	}
	return c
}

// Visit is a reach.Options.Visit function. It looks at loads of package
// variables and at calls (built-ins, and package variables passed by
// address).
func (c *Collector) Visit(fn *ssa.Function, instr ssa.Instruction) {
	switch instr := instr.(type) {
	case *ssa.UnOp:
		if g, ok := instr.X.(*ssa.Global); ok {
			c.global(g, fn, instr.Pos())
		}
	case ssa.CallInstruction:
		call := instr.Common()
		if b, ok := call.Value.(*ssa.Builtin); ok && c.builtins[b.Name()] {
			c.add("builtin:"+b.Name(), fn, instr.Pos())
		}
		for _, a := range call.Args {
			if g, ok := a.(*ssa.Global); ok {
				c.global(g, fn, instr.Pos())
			}
		}
	}
}

func (c *Collector) global(g *ssa.Global, fn *ssa.Function, pos token.Pos) {
	if g.Pkg == nil {
		return
	}
	if name := g.Pkg.Pkg.Path() + "." + g.Name(); c.globals[name] {
		c.add("global:"+name, fn, pos)
	}
}

func (c *Collector) add(what string, fn *ssa.Function, pos token.Pos) {
	k := useKey{what, fn}
	if !c.seen[k] {
		c.seen[k] = true
		c.uses[what] = append(c.uses[what], use{fn, pos})
	}
}

// A trigger is a use found in the program: a function node, and the final
// step that shows what it does there (empty for function triggers).
type trigger struct {
	node int32
	last reach.Step
}

// Derive computes the capabilities of a reachable program.
func Derive(res *reach.Result, g *reach.Graph, sites []syscalls.Site, c *Collector) []Capability {
	bySys := map[int][]syscalls.Site{}
	for _, s := range sites {
		if s.Nr >= 0 && !s.InRuntime() && !s.Asm {
			bySys[s.Nr] = append(bySys[s.Nr], s)
		}
	}
	var out []Capability
	for _, name := range Order {
		t := Table[name]
		var trig []trigger
		for _, sym := range t.Funcs {
			if f := reach.Func(res.Prog, sym); f != nil {
				if id, ok := g.ID(f); ok {
					trig = append(trig, trigger{node: id})
				}
			}
		}
		for _, sc := range t.Syscalls {
			nr, ok := syscalls.Number(sc)
			if !ok {
				continue
			}
			for _, s := range bySys[nr] {
				if id, ok := g.ID(s.Caller); ok {
					trig = append(trig, trigger{id, callStep(g, s.Callee, s.Pos)})
				}
			}
		}
		for _, gl := range t.Globals {
			for _, u := range c.uses["global:"+gl] {
				if id, ok := g.ID(u.fn); ok {
					trig = append(trig, trigger{id, reach.Step{Func: gl, Kind: "uses", Pos: g.Position(u.pos)}})
				}
			}
		}
		for _, b := range t.Builtins {
			for _, u := range c.uses["builtin:"+b] {
				if id, ok := g.ID(u.fn); ok {
					trig = append(trig, trigger{id, reach.Step{Func: b, Kind: "builtin", Pos: g.Position(u.pos)}})
				}
			}
		}
		for _, p := range t.Packages {
			for id := int32(0); int(id) < g.Len(); id++ {
				if pk := g.Pkg(id); pk == p || strings.HasPrefix(pk, p+"/") {
					trig = append(trig, trigger{node: id})
				}
			}
		}
		var kinds []Kind
		if name == Sockets {
			kinds = socketKinds(res, g)
			for _, k := range kinds {
				if len(k.Witness) > 0 {
					trig = append(trig, trigger{node: mustID(g, k.Witness)})
				}
			}
		}
		if len(trig) == 0 {
			continue
		}
		gc := g
		if len(t.Except) > 0 {
			except := map[int32]bool{}
			for _, sym := range t.Except {
				if id, ok := g.Lookup(sym); ok {
					except[id] = true
				}
			}
			gc = g.Without(func(id int32) bool { return except[id] })
		}
		w, unc := witness(gc, trig)
		if w == nil {
			continue // only reachable from the runtime's roots
		}
		out = append(out, Capability{Name: name, Kinds: kinds, Witness: w, Uncertain: unc})
	}
	return out
}

func mustID(g *reach.Graph, p reach.Path) int32 {
	// The last step of a kind witness is a call of the network API; the
	// trigger is the caller.
	i := len(p) - 1
	if i > 0 {
		i--
	}
	id, _ := g.Lookup(p[i].Func)
	return id
}

func callStep(g *reach.Graph, callee *ssa.Function, pos token.Pos) reach.Step {
	name := ""
	if callee != nil {
		name = callee.String()
	}
	return reach.Step{Func: name, Kind: reach.Static.String(), Pos: g.Position(pos)}
}

// witness returns a shortest path to any trigger, ending with its final
// step, and whether it had to use unconfirmed edges.
func witness(g *reach.Graph, trig []trigger) (reach.Path, bool) {
	nodes := map[int32]bool{}
	for _, t := range trig {
		nodes[t.node] = true
	}
	target := func(n int32) bool { return nodes[n] }
	uncertain := false
	p := g.PrecisePathTo(target)
	if p == nil {
		uncertain = true
		p = g.PathTo(target)
	}
	if p == nil {
		return nil, false
	}
	end, _ := g.Lookup(p[len(p)-1].Func)
	var lasts []reach.Step
	for _, t := range trig {
		if t.node == end && t.last.Func != "" {
			lasts = append(lasts, t.last)
		}
	}
	if len(lasts) > 0 {
		sort.Slice(lasts, func(i, j int) bool { return lasts[i].Pos < lasts[j].Pos })
		p = append(p, lasts[0])
	}
	return p, uncertain
}

// netEntries are package net's functions that take a network name, with the
// index of that parameter (receivers count).
var netEntries = []struct {
	Func  string
	Param int
}{
	{"net.(*Dialer).DialContext", 2},
	{"net.(*Dialer).DialTCP", 2},
	{"net.(*Dialer).DialUDP", 2},
	{"net.(*Dialer).DialIP", 2},
	{"net.(*Dialer).DialUnix", 2},
	{"net.(*ListenConfig).Listen", 2},
	{"net.(*ListenConfig).ListenPacket", 2},
	{"net.DialTCP", 0},
	{"net.ListenTCP", 0},
	{"net.DialUDP", 0},
	{"net.ListenUDP", 0},
	{"net.ListenMulticastUDP", 0},
	{"net.DialIP", 0},
	{"net.ListenIP", 0},
	{"net.DialUnix", 0},
	{"net.ListenUnix", 0},
	{"net.ListenUnixgram", 0},
}

// socketEntries take (domain, type, proto).
var socketEntries = []string{"syscall.Socket", "golang.org/x/sys/unix.Socket"}

// AllKinds are the socket kinds, in report order.
var AllKinds = []string{"tcp4", "tcp6", "udp4", "udp6", "ip4", "ip6", "unix", "unixgram", "unixpacket", "netlink", "packet"}

// networkKinds maps a network name of package net to socket kinds.
func networkKinds(network string) []string {
	if i := strings.IndexByte(network, ':'); i >= 0 {
		network = network[:i] // "ip4:icmp"
	}
	switch network {
	case "tcp":
		return []string{"tcp4", "tcp6"}
	case "udp":
		return []string{"udp4", "udp6"}
	case "ip":
		return []string{"ip4", "ip6"}
	case "tcp4", "tcp6", "udp4", "udp6", "ip4", "ip6", "unix", "unixgram", "unixpacket":
		return []string{network}
	}
	return nil // an unknown network fails in package net
}

// domainKinds maps (domain, type) socket() arguments to kinds.
func domainKinds(domain int64, typ int64, typKnown bool) []string {
	pick := func(stream, dgram, raw, seq string) []string {
		if !typKnown {
			var all []string
			for _, k := range []string{stream, dgram, raw, seq} {
				if k != "" {
					all = append(all, k)
				}
			}
			return all
		}
		switch typ & 0xf {
		case 1:
			return []string{stream}
		case 2:
			return []string{dgram}
		case 3:
			return []string{raw}
		case 5:
			return []string{seq}
		}
		return nil
	}
	switch domain {
	case 1: // AF_UNIX
		return pick("unix", "unixgram", "", "unixpacket")
	case 2: // AF_INET
		return pick("tcp4", "udp4", "ip4", "")
	case 10: // AF_INET6
		return pick("tcp6", "udp6", "ip6", "")
	case 16:
		return []string{"netlink"}
	case 17:
		return []string{"packet"}
	}
	return nil
}

// socketKinds derives socket kinds and a witness for each.
func socketKinds(res *reach.Result, g *reach.Graph) []Kind {
	sites := map[string][]reach.ArgValue{}
	var params []reach.Param
	for _, e := range netEntries {
		if f := reach.Func(res.Prog, e.Func); f != nil && res.Reachable[f] {
			params = append(params, reach.Param{Func: f, Index: e.Param})
		}
	}
	for _, a := range res.ConstArgs(params) {
		var kinds []string
		if a.Value == nil {
			kinds = AllKinds[:9]
		} else if a.Value.Kind() == constant.String {
			kinds = networkKinds(constant.StringVal(a.Value))
		}
		for _, k := range kinds {
			sites[k] = append(sites[k], a)
		}
	}
	params = params[:0]
	for _, sym := range socketEntries {
		if f := reach.Func(res.Prog, sym); f != nil && res.Reachable[f] {
			params = append(params, reach.Param{Func: f, Index: 0})
		}
	}
	for _, a := range res.ConstArgs(params) {
		if a.Caller.Pkg != nil && a.Caller.Pkg.Pkg.Path() == "net" {
			continue // package net's sockets are described by its API
		}
		var kinds []string
		if a.Value == nil {
			kinds = AllKinds
		} else if d, ok := constant.Int64Val(constant.ToInt(a.Value)); ok {
			var typ int64
			known := false
			if a.Site != nil {
				if args := a.Site.Common().Args; len(args) > 1 {
					if c, ok := args[1].(*ssa.Const); ok && c.Value != nil {
						typ, known = constant.Int64Val(constant.ToInt(c.Value))
					}
				}
			}
			kinds = domainKinds(d, typ, known)
		}
		for _, k := range kinds {
			sites[k] = append(sites[k], a)
		}
	}
	var out []Kind
	for _, k := range AllKinds {
		as := sites[k]
		if len(as) == 0 {
			continue
		}
		var trig []trigger
		for _, a := range as {
			if id, ok := g.ID(a.Caller); ok {
				trig = append(trig, trigger{id, callStep(g, a.Callee, a.Pos)})
			}
		}
		if w, unc := witness(g, trig); w != nil {
			out = append(out, Kind{Name: k, Witness: w, Uncertain: unc})
		}
	}
	return out
}
