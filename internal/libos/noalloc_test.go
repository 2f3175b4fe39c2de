package libos

import (
	"bufio"
	"bytes"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The no-allocation check (docs/internals.md, "Kernel-context code rules"; docs/libos.md). It
// reads the machine code that the compiler produced for the library OS (go tool objdump of each
// package's compiled archive, linux/amd64) and fails when a kernel-context function calls a
// Go runtime function that allocates, stores a pointer with a write barrier, or blocks. Reading
// the compiled code catches what escape analysis decides (new, make, composite literals,
// closures, interface conversions, string conversions and concatenation, variables moved to the
// heap) and also what it does not report: append that may grow, maps, go, defer, channels.
// Inlined code is checked where it is inlined.

// forbiddenCall matches the runtime functions that kernel-context code must never call, named
// by the rule they break.
var forbiddenCall = regexp.MustCompile(`R_CALL:runtime\.(` +
	// allocation
	`newobject|mallocgc|newarray|makeslice|makeslicecopy|growslice|makemap|makemap_small|mapassign\w*|` +
	`convT\w*|concatstring\w*|slicebytetostring|slicerunetostring|stringtoslicebyte|stringtoslicerune|intstring|rawstring\w*|` +
	// pointer stores into heap or global objects
	`gcWriteBarrier\d*|wbMove|wbZero|typedmemmove|typedslicecopy|` +
	// goroutines, defer, channels
	`newproc|deferproc\w*|deferreturn|makechan|chansend\d*|chanrecv\d*|selectgo|closechan` +
	`)\b`)

// kernelScope says which functions of a package run in kernel context: all of them (nil), or
// only those named.
type kernelScope []string

// kernelPackages are the packages whose code runs in kernel context, relative to the module.
// Every package of runtime/ (but test-support packages, *test) is; of drivers/, the Xen
// drivers that the kernel uses at boot and from interrupts, and the serial console. The virtio
// drivers, PCI and the rest of xenstore run in program context (services/, behind the relay).
var kernelPackages = map[string]kernelScope{
	"drivers/uart16550":         nil,
	"drivers/xen/console":       nil,
	"drivers/xen/evtchn":        nil,
	"drivers/xen/gnttab":        nil,
	"drivers/xen/hypercall":     nil,
	"drivers/xen/internal/hw":   nil,
	"drivers/xen/pvclock":       nil,
	"drivers/xen/sharedinfo":    nil,
	"drivers/xen/shutdown":      nil,
	"drivers/xen/xenstore/wire": nil,
	// At boot (Init, Setup) and at exit (Publish's WriteExitStatus): kernel.go's operations and
	// the ring functions they use.
	"drivers/xen/xenstore": {"Init", "Setup", "Ready", "Put", "Get", "WriteExitStatus", "roundTrip",
		"nextID", "send", "receive", "eventQueue.push"},
	"runtime/cmdline":      {"Split", "SplitEnv", "hasEq"},      // the rest is the host's encoder
	"runtime/console/wire": {"Decoder.Decode", "Decoder.Ended"}, // the rest is the host's encoder
}

// An exemption lets one function make the calls that match allow, for the reason given.
type exemption struct {
	allow  *regexp.Regexp
	reason string
}

var (
	writeBarrierOnly = regexp.MustCompile(`^runtime\.gcWriteBarrier\d*$`)
	anything         = regexp.MustCompile(``)
	growsliceOnly    = regexp.MustCompile(`^runtime\.growslice$`)
)

// atBoot: the function stores a function value or pointer into a package variable during boot,
// before the Go runtime has started, when no write barrier is enabled (the barrier's call is
// behind the runtime's writeBarrier flag and is not taken).
const atBoot = "called only during boot, before the Go runtime starts: no write barrier is enabled"

var exemptions = map[string]exemption{
	"runtime/boot.bootMain":             {writeBarrierOnly, atBoot},
	"runtime/boot.initPlatform":         {writeBarrierOnly, atBoot},
	"runtime/console.SetInput":          {writeBarrierOnly, atBoot},
	"runtime/console.SetOutput":         {writeBarrierOnly, atBoot},
	"runtime/console.SetChanged":        {writeBarrierOnly, atBoot},
	"runtime/fd.Init":                   {writeBarrierOnly, atBoot},
	"runtime/irq.SetEventRouter":        {writeBarrierOnly, atBoot},
	"runtime/platform/qemu.initConsole": {writeBarrierOnly, atBoot},
	"runtime/klog.SetSink":              {writeBarrierOnly, atBoot},
	"runtime/ktime.UsePlatformClock":    {writeBarrierOnly, atBoot},
	"runtime/platform.Install":          {writeBarrierOnly, atBoot},
	"runtime/platform/qemu.Init":        {writeBarrierOnly, atBoot},
	"runtime/platform/xen.Init":         {writeBarrierOnly, atBoot},
	"runtime/platform/xen.InitClock":    {writeBarrierOnly, atBoot},
	"runtime/sched.UseFrames":           {writeBarrierOnly, atBoot},
	"runtime/sys.Install":               {writeBarrierOnly, atBoot},
	"runtime/trap.SetHandler":           {writeBarrierOnly, atBoot},
	"runtime/trap.SetReraisedHandler":   {writeBarrierOnly, atBoot},
	"drivers/xen/console.Setup":         {writeBarrierOnly, atBoot},
	"drivers/xen/evtchn.SetHandler":     {writeBarrierOnly, atBoot},
	"drivers/xen/xenstore.Init":         {writeBarrierOnly, atBoot},
	"drivers/xen/xenstore.Setup":        {writeBarrierOnly, atBoot},
	"runtime/boot.init.0":               {anything, "package initialisation runs in program context, in the Go runtime: it starts the services"},
	"drivers/xen/shutdown.statusLine":   {growsliceOnly, "appends StatusPrefix, at most 21 digits and a newline to Publish's buffer, sized for them: the growth path is never taken"},
}

// objdumpTool returns the path of go tool objdump's binary, so that each package's run does not
// go through the go command.
func objdumpTool(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "tool", "-n", "objdump").Output()
	if err != nil {
		t.Fatalf("go tool -n objdump: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// A finding is a forbidden call in a function.
type finding struct{ fn, call string }

// forbiddenCalls returns the forbidden calls in the functions of package path (an import path)
// whose compiled archive is export, keyed by function name relative to the module.
func forbiddenCalls(t *testing.T, objdump, path, export string) (found []finding, funcs []string) {
	t.Helper()
	out, err := exec.Command(objdump, export).Output()
	if err != nil {
		t.Fatalf("go tool objdump %s: %v", path, err)
	}
	fn := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if sym, ok := strings.CutPrefix(line, "TEXT "); ok {
			sym, _, _ = strings.Cut(sym, "(SB)")
			// Only the package's own functions: instantiations of other packages' generic
			// functions compiled here are attributed to their own packages.
			fn = ""
			if rest, ok := strings.CutPrefix(sym, path+"."); ok {
				fn = strings.NewReplacer("(*", "", ")", "").Replace(rest)
				funcs = append(funcs, fn)
			}
			continue
		}
		if fn == "" {
			continue
		}
		if m := forbiddenCall.FindString(line); m != "" {
			found = append(found, finding{fn, strings.TrimPrefix(m, "R_CALL:")})
		}
	}
	return found, funcs
}

// inScope reports whether function fn (package-relative, e.g. "Split", "Queue.Used", "F.func1")
// of a package with scope s runs in kernel context.
func inScope(s kernelScope, fn string) bool {
	if s == nil {
		return true
	}
	for _, name := range s {
		if fn == name || strings.HasPrefix(fn, name+".func") {
			return true
		}
	}
	return false
}

// scopeOf returns the kernel-context scope of package rel, and whether it has one.
func scopeOf(rel string) (kernelScope, bool) {
	if s, ok := kernelPackages[rel]; ok {
		return s, true
	}
	if strings.HasPrefix(rel, "runtime/") && !isSupport(rel) {
		return nil, true
	}
	return nil, false
}

// TestNoAlloc runs the no-allocation check over the library OS.
func TestNoAlloc(t *testing.T) {
	cmd := exec.Command("go", "list", "-export", "-f", "{{.ImportPath}} {{.Export}}", "../../runtime/...", "../../drivers/...")
	cmd.Env = append(cmd.Environ(), BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	objdump := objdumpTool(t)
	checked, used := 0, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, export, _ := strings.Cut(line, " ")
		rel := strings.TrimPrefix(path, Module+"/")
		scope, ok := scopeOf(rel)
		if !ok {
			continue
		}
		checked++
		found, funcs := forbiddenCalls(t, objdump, path, export)
		for _, name := range scope {
			if !slices.Contains(funcs, name) {
				t.Errorf("%s: the kernel-context function %s listed in kernelPackages does not exist", rel, name)
			}
		}
		for _, f := range found {
			if !inScope(scope, f.fn) {
				continue
			}
			name := rel + "." + f.fn
			if ex, ok := exemptions[name]; ok && ex.allow.MatchString(f.call) {
				used[name] = true
				continue
			}
			t.Errorf("%s: kernel-context code calls %s (docs/internals.md, \"Kernel-context code rules\")", name, f.call)
		}
	}
	if checked < 20 {
		t.Errorf("checked %d packages: go list found too few", checked)
	}
	for name := range exemptions {
		if !used[name] {
			t.Errorf("exemption for %s is not needed any more: remove it", name)
		}
	}
}

// TestNoAllocCatches runs the check over testdata/seeded, whose functions each allocate, store a
// pointer or start a goroutine in a different way, and one that does not.
func TestNoAllocCatches(t *testing.T) {
	cmd := exec.Command("go", "list", "-export", "-f", "{{.ImportPath}} {{.Export}}", "./testdata/seeded")
	cmd.Env = append(cmd.Environ(), BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	path, export, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	objdump := objdumpTool(t)
	got := map[string][]string{}
	found, _ := forbiddenCalls(t, objdump, path, export)
	for _, f := range found {
		fn, _, _ := strings.Cut(f.fn, ".")
		got[fn] = append(got[fn], f.call)
	}
	for fn, want := range map[string]string{
		"New": "runtime.newobject", "Make": "runtime.makeslice", "Append": "runtime.growslice",
		"Map": "runtime.mapassign", "Interface": "runtime.convT", "Concat": "runtime.concatstring",
		"Closure": "runtime.newobject", "Go": "runtime.newproc",
	} {
		if !slices.ContainsFunc(got[fn], func(c string) bool { return strings.HasPrefix(c, want) }) {
			t.Errorf("seeded.%s: the check found %v, want a call of %s", fn, got[fn], want)
		}
	}
	if len(got["Clean"]) != 0 {
		t.Errorf("seeded.Clean: the check found %v in code that does not allocate", got["Clean"])
	}
}
