package xenlab

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	path2 "path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/unikgen/unikgen/internal/childproc"
	"github.com/unikgen/unikgen/internal/cpio"
	"github.com/unikgen/unikgen/templates"
)

// NoExitStatus is Result.ExitStatus when the guest published none.
const NoExitStatus = -1

// Default durations of a run.
const (
	DefaultWait = 60 * time.Second
	// DefaultTimeoutMargin is added to Wait when RunOptions.Timeout is zero: dom0 needs about 10 s to
	// boot under TCG, more on a loaded machine.
	DefaultTimeoutMargin = 120 * time.Second
)

// QEMU is the QEMU binary Run starts.
const QEMU = "qemu-system-x86_64"

// Lines a harness xl config can use to give the guest a network interface and a disk (dom0 bridges
// the vif to xenbr0, 10.0.2.2/24, and exports /dev/loop0: RunOptions.Disk or a 1 MiB image that
// starts with "UNIKGEN-DISK-OK!").
const (
	VifLine  = `vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0,script=/etc/xen/scripts/vif-simple' ]`
	DiskLine = `disk = [ 'format=raw, vdev=xvda, access=rw, backendtype=phy, script=/etc/xen/scripts/block-simple, target=/dev/loop0' ]`
)

// RunOptions say what Run boots and how long it may take.
type RunOptions struct {
	// Image is the host path of the PVH kernel (an ELF with a XEN_ELFNOTE_PHYS32_ENTRY note).
	Image string
	// XLConfig is the text of an xl.cfg (templates.XLConfig output). Run replaces its kernel with
	// the copy of Image inside dom0 and its on_poweroff/on_reboot/on_crash with "preserve" (see the
	// package documentation); it must have a name = "..." line. Empty: templates.XLConfig with name
	// "unikgen", 64 MiB, 1 vCPU.
	XLConfig string
	// Cmdline, when not empty, replaces the cmdline of XLConfig.
	Cmdline string
	// Timeout bounds the whole QEMU run; zero means Wait + DefaultTimeoutMargin. QEMU is killed
	// when it expires (or when ctx is done).
	Timeout time.Duration
	// Wait is how long dom0 lets the domain run before destroying it (Result.Shutdown
	// "destroyed"); zero means DefaultWait. Whole seconds; at least 1 s.
	Wait time.Duration
	// CacheDir is the harness cache built by EnsureCache; empty means DefaultCacheDir().
	CacheDir string
	// WorkDir receives the run's files (xen.log, guest.log, pvh.cfg); empty means a new directory
	// xenlab-run-* under os.TempDir(). It is kept after the run: the logs are for post-mortems.
	WorkDir string
	// Disk is an optional raw disk image exported to the guest as xvda (through DiskLine); it
	// lives in dom0's RAM, so keep it small. The domains of all steps share it: what one writes,
	// the next reads.
	Disk string
	// Dom0 is a shell script that dom0 runs beside the domain, from right after xl create: see
	// Step.Dom0.
	Dom0 string
	// Steps are more domains that dom0 creates after the first one, one after the other, in the
	// same boot of Xen and dom0 (which costs most of a run's time).
	Steps []Step
	// Files are put into dom0's file system (path without the leading slash -> contents,
	// executable), for the dom0 scripts: a client program, a server, data.
	Files map[string][]byte
	// Console, when not nil, receives each domain's console output while it runs, line by line
	// (dom0 forwards the console log about once a second). Result.Console is the complete log.
	Console io.Writer
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// A Step is one domain of a run after the first: its image (empty: RunOptions.Image), xl config
// and command line as in RunOptions, and how long it may run (zero: DefaultWait).
type Step struct {
	Image    string
	XLConfig string
	Cmdline  string
	Wait     time.Duration
	// Dom0 is a shell script that dom0 runs (with /bin/sh, busybox) beside the domain, from right
	// after xl create. It finds $NAME and $DOMID of the domain, $GUEST_IP (10.0.2.15, what DHCP
	// gives the harness's vif) and $HOST_IP (10.0.2.2, dom0 on the bridge), the Files, and the Xen
	// tools (xl, xenstore-read...). Its output and exit status are in Result.Dom0Output and
	// Dom0Status. It may end the domain itself (xl destroy $NAME); otherwise it is killed 3 s
	// after the domain ended.
	Dom0 string
}

// Result is what a run produced.
type Result struct {
	// Console is the guest's PV console output (xenconsoled's log of it), without a final
	// "unikgen: exit status N" line.
	Console []byte
	// ExitStatus is the status the guest published, NoExitStatus when it published none.
	ExitStatus    int
	HasExitStatus bool
	// StatusSource is where ExitStatus came from: "xenstore" (data/exit-status), "console" (the
	// last console line, ConsoleStatusPrefix) or "" (none).
	StatusSource string
	// Shutdown says how the domain ended: the SCHEDOP_shutdown reason "poweroff", "reboot",
	// "suspend", "crash", "watchdog" or "soft_reset" (a triple fault is "reboot"; halting every
	// vCPU with interrupts disabled is "poweroff"); "destroyed" when it still ran after Wait;
	// "gone" when it vanished without a preserved shutdown; "unknown" otherwise.
	Shutdown string
	// Name and Domid of the guest (Domid -1 if it was not created).
	Name  string
	Domid int
	// XLCreateRC is the exit status of `xl create` in dom0.
	XLCreateRC int
	// GuestTime is the time from the start of `xl create` to the end of the domain (dom0 uptime,
	// 0.01 s resolution): the guest's share of the run.
	GuestTime time.Duration
	// WallTime is the wall time of the QEMU process.
	WallTime time.Duration
	// WorkDir holds XenLog (the whole serial log: Xen, dom0, xl) and GuestLog (Console).
	WorkDir, XenLog, GuestLog string
	// Dom0Output is what the step's dom0 script printed (stdout and stderr), Dom0Status its exit
	// status: -1 when it had none or was killed.
	Dom0Output []byte
	Dom0Status int
	// Steps are the results of RunOptions.Steps, in order (only in the first domain's Result).
	Steps []*Result
}

// Run boots opts.Image as a PVH domU of Xen 4.17 nested in QEMU TCG and returns its console output,
// exit status and shutdown reason. EnsureCache must have built the harness in opts.CacheDir.
//
// Run returns an error when the harness could not report on the guest: QEMU missing
// (*NotFoundError) or failing, no harness (*NoCacheError), the timeout (*TimeoutError) or ctx
// expiring (QEMU is killed; only the process Run started), `xl create` failing (*CreateError, for
// example an image without a PVH note), or a serial log without dom0's result block. The error
// names the log to read; Result is filled as far as known. A guest that crashed or had to be
// destroyed is not an error: see Result.Shutdown and Result.Status.
func Run(ctx context.Context, opts RunOptions) (*Result, error) {
	res := newResult()
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	qemu, err := exec.LookPath(QEMU)
	if err != nil {
		return res, &NotFoundError{Name: QEMU}
	}
	cache := opts.CacheDir
	if cache == "" {
		if cache, err = DefaultCacheDir(); err != nil {
			return res, err
		}
	}
	hdir, ok, err := harnessDir(cache)
	if err != nil || !ok {
		return res, &NoCacheError{Dir: cache}
	}
	now := time.Now()
	os.Chtimes(hdir, now, now) // marks the harness as in use (EnsureCache prunes unused ones)

	steps := append([]Step{{Image: opts.Image, XLConfig: opts.XLConfig, Cmdline: opts.Cmdline, Wait: opts.Wait, Dom0: opts.Dom0}}, opts.Steps...)
	results := []*Result{res}
	for range opts.Steps {
		results = append(results, newResult())
	}
	ov := overlay{files: map[string][]byte{}, kernels: map[string]string{}}
	total := time.Duration(0)
	for i, st := range steps {
		if st.Image == "" {
			st.Image = opts.Image
		}
		kpath, err := ov.kernel(st.Image)
		if err != nil {
			return res, err
		}
		wait := st.Wait
		if wait == 0 {
			wait = DefaultWait
		}
		waitSec := int((wait + time.Second - 1) / time.Second)
		if waitSec < 1 {
			return res, fmt.Errorf("xenlab: Wait %v: must be at least 1 s", wait)
		}
		total += time.Duration(waitSec) * time.Second
		cfg, name, err := harnessConfig(st.XLConfig, st.Cmdline, kpath)
		if err != nil {
			return res, err
		}
		results[i].Name = name
		dir := fmt.Sprintf("step%d/", i)
		ov.files[dir+"pvh.cfg"] = []byte(cfg)
		ov.files[dir+"wait"] = []byte(strconv.Itoa(waitSec))
		if st.Dom0 != "" {
			ov.files[dir+"dom0.sh"] = []byte(st.Dom0)
		}
		if i == 0 {
			ov.files["pvh.cfg"] = []byte(cfg) // the first step's, where earlier harnesses kept it
		}
	}
	ov.files["steps"] = []byte(strconv.Itoa(len(steps)))
	if opts.Disk != "" {
		disk, err := os.ReadFile(opts.Disk)
		if err != nil {
			return res, fmt.Errorf("xenlab: disk image: %w", err)
		}
		ov.files["disk.img"] = disk
	}
	for name, b := range opts.Files {
		name = strings.TrimPrefix(name, "/")
		if name == "" || strings.Contains(name, "..") {
			return res, fmt.Errorf("xenlab: file name %q: want a path in dom0 without ..", name)
		}
		ov.files[name] = b
		ov.exec = append(ov.exec, name)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = total + DefaultTimeoutMargin
	}

	work := opts.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "xenlab-run-"); err != nil {
			return res, err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return res, err
	}
	if work, err = filepath.Abs(work); err != nil {
		return res, err
	}
	for i, r := range results {
		r.WorkDir = work
		r.XenLog = filepath.Join(work, "xen.log")
		r.GuestLog = filepath.Join(work, "guest.log")
		if i > 0 {
			r.GuestLog = filepath.Join(work, fmt.Sprintf("guest.%d.log", i))
		}
	}
	if err := os.WriteFile(filepath.Join(work, "pvh.cfg"), ov.files["pvh.cfg"], 0o644); err != nil {
		return res, err
	}
	// QEMU runs in work with relative file names: multiboot module strings split at commas and
	// spaces, so the paths of the cache and of work must not appear in them.
	initrd := filepath.Join(work, "initrd.gz")
	if err := ov.write(initrd, filepath.Join(hdir, "dom0.cpio.gz")); err != nil {
		return res, fmt.Errorf("xenlab: writing the initramfs: %w", err)
	}
	for _, n := range []string{"xen.elf", "vmlinuz"} {
		os.Remove(filepath.Join(work, n))
		if err := os.Symlink(filepath.Join(hdir, n), filepath.Join(work, n)); err != nil {
			return res, err
		}
	}
	defer func() {
		for _, n := range []string{"initrd.gz", "xen.elf", "vmlinuz"} {
			os.Remove(filepath.Join(work, n))
		}
	}()
	token := randomToken()
	args := []string{
		"-M", "pc", "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", strconv.Itoa(MachineMiB),
		"-nographic", "-no-reboot", "-kernel", "xen.elf",
		"-append", fmt.Sprintf("console=com1 com1=115200,8n1 dom0_mem=%dM,max:%dM dom0_max_vcpus=1 loglvl=all guest_loglvl=all noreboot", Dom0MiB, Dom0MiB),
		"-initrd", fmt.Sprintf("vmlinuz console=hvc0 earlyprintk=xen rdinit=/init xenlab_token=%s,initrd.gz", token),
	}
	logf, err := os.Create(res.XenLog)
	if err != nil {
		return res, err
	}
	defer logf.Close()

	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// QEMU never outlives this process (internal/childproc); the end of qctx kills it.
	cmd := childproc.Command(qctx, qemu, args...)
	cmd.Dir = work
	var stream *consoleStream
	if opts.Console != nil {
		stream = &consoleStream{prefix: "@@xenlab " + token + "/", out: opts.Console}
		cmd.Stdout = io.MultiWriter(logf, stream)
	} else {
		cmd.Stdout = logf
	}
	cmd.Stderr = cmd.Stdout
	// cmd.Stdin nil: /dev/null.
	start := time.Now()
	waitErr := childproc.Run(cmd, func() {
		fmt.Fprintf(log, "xenlab: booting Xen %s and dom0 in QEMU TCG (pid %d, timeout %v, %d domain(s), %v of guest time); serial log %s\n",
			XenVersion, cmd.Process.Pid, timeout, len(steps), total, res.XenLog)
	})
	if cmd.Process == nil {
		return res, fmt.Errorf("xenlab: starting %s: %w", qemu, waitErr)
	}
	wall := time.Since(start)
	logf.Close()
	serial, _ := os.ReadFile(res.XenLog)
	var createErr error
	missing := -1
	for i, r := range results {
		r.WallTime = wall
		id := fmt.Sprintf("%s/%d", token, i)
		rep := parseSerial(serial, id)
		if rep.hasResult {
			rep.fill(r)
		} else if missing < 0 {
			missing = i
		}
		if rep.hasConsole {
			os.WriteFile(r.GuestLog, rep.console, 0o644)
		}
		if rep.hasResult && r.XLCreateRC != 0 && createErr == nil {
			createErr = &CreateError{RC: r.XLCreateRC, Log: res.XenLog, Errors: xlErrors(serial, i)}
		}
	}
	res.Steps = results[1:]
	fmt.Fprintf(log, "xenlab: QEMU finished after %.1f s\n", wall.Seconds())

	switch {
	case errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return res, &TimeoutError{Timeout: timeout, Stage: progress(serial, token), Log: res.XenLog, Tail: lastLines(serial, 15)}
	case ctx.Err() != nil:
		return res, fmt.Errorf("xenlab: run interrupted, QEMU killed: %w (serial log %s)", ctx.Err(), res.XenLog)
	case waitErr != nil:
		return res, fmt.Errorf("xenlab: QEMU failed: %v (%s); serial log %s ends with:\n%s",
			waitErr, progress(serial, token), res.XenLog, lastLines(serial, 15))
	case missing >= 0:
		return res, fmt.Errorf("xenlab: QEMU exited but dom0 printed no result for domain %d of %d (%s); serial log %s ends with:\n%s",
			missing+1, len(results), progress(serial, token), res.XenLog, lastLines(serial, 15))
	case createErr != nil:
		return res, createErr
	}
	return res, nil
}

func newResult() *Result {
	return &Result{ExitStatus: NoExitStatus, Domid: -1, XLCreateRC: -1, Dom0Status: -1}
}

// overlay is the second archive of dom0's initramfs: the kernels, the steps' files, the disk and
// RunOptions.Files.
type overlay struct {
	files   map[string][]byte
	exec    []string          // names of files that are executable
	kernels map[string]string // host image path -> path in dom0
}

// kernel adds the image at path (once) and returns its path in dom0: /kernel.elf for the first,
// /kernelN.elf for the others.
func (o *overlay) kernel(path string) (string, error) {
	if k, ok := o.kernels[path]; ok {
		return k, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("xenlab: kernel image: %w", err)
	}
	name := "kernel.elf"
	if n := len(o.kernels); n > 0 {
		name = fmt.Sprintf("kernel%d.elf", n)
	}
	o.files[name] = b
	o.kernels[path] = "/" + name
	return "/" + name, nil
}

// write writes dom0's initramfs: the cached dom0.cpio.gz followed by a second gzip'ed cpio archive
// with the overlay's files (the kernel unpacks concatenated archives in order).
func (o *overlay) write(path, base string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := os.Open(base)
	if err != nil {
		return err
	}
	defer b.Close()
	if _, err := io.Copy(f, b); err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	cw := &cpio.Writer{W: zw}
	names := make([]string, 0, len(o.files))
	for n := range o.files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		for d := path2.Dir(n); d != "." && !dirs[d]; d = path2.Dir(d) {
			dirs[d] = true
		}
	}
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds) // parents first
	for _, d := range ds {
		cw.Dir(d, 0o755)
	}
	for _, n := range names {
		mode := uint32(0o644)
		if slices.Contains(o.exec, n) {
			mode = 0o755
		}
		cw.File(n, mode, o.files[n])
	}
	if err := cw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// consoleStream picks the console lines that dom0 forwards while a domain runs ("@@xenlab
// TOKEN/I@@ line") out of the serial output and writes them to out.
type consoleStream struct {
	prefix string
	out    io.Writer
	buf    []byte
}

func (c *consoleStream) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			if len(c.buf) > 1<<16 { // not a line of ours
				c.buf = c.buf[:0]
			}
			return len(p), nil
		}
		line := bytes.TrimRight(c.buf[:i], "\r")
		if at := bytes.Index(line, []byte(c.prefix)); at >= 0 {
			rest := line[at+len(c.prefix):]
			if j := bytes.Index(rest, []byte("@@ ")); j >= 0 {
				c.out.Write(append(append([]byte(nil), rest[j+3:]...), '\n'))
			}
		}
		c.buf = c.buf[i+1:]
	}
}

// progress says how far the boot got, from the serial log.
func progress(serial []byte, token string) string {
	has := func(s string) bool { return bytes.Contains(serial, []byte(s)) }
	switch {
	case has("===== xenlab result " + token):
		return "dom0 started printing its result"
	case has("init: xl create rc="):
		return "the domain was created; dom0 was waiting for it to end"
	case has("init: xl create"):
		return "dom0 was running xl create"
	case has("Run /init") || has("Freeing unused kernel"):
		return "dom0 booted but did not reach xl create"
	case has("Xen version") || has("(XEN)"):
		return "Xen started but dom0 did not reach its /init"
	case len(serial) == 0:
		return "nothing was printed on the serial port"
	}
	return "Xen did not report its start"
}

func lastLines(b []byte, n int) string {
	s := strings.TrimRight(strings.ReplaceAll(string(b), "\r", ""), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// xlErrors returns the lines dom0-init printed after the failed xl create of step n.
func xlErrors(serial []byte, n int) string {
	s := strings.ReplaceAll(string(serial), "\r", "")
	if j := strings.Index(s, fmt.Sprintf("init: step %d: xl create", n)); j >= 0 {
		s = s[j:]
	}
	i := strings.Index(s, "init: xl create rc=")
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, "init: dom0 uptime"); j >= 0 {
		s = s[:j]
	}
	return lastLines([]byte(s), 40)
}

func randomToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var (
	keyLineRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=`)
	nameRE    = regexp.MustCompile(`^name\s*=\s*"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})"\s*$`)
)

// harnessConfig turns an xl.cfg into the one dom0 uses: kernel = kernel (the image's path in
// dom0), the on_* actions "preserve" (so that dom0 can read the shutdown reason and
// data/exit-status after the domain stopped), cmdline replaced when cmdline is not empty, a vif
// or disk line replaced by the harness's (VifLine, DiskLine: its bridge, DHCP and loop device),
// and tsc_mode = "native" (see below). It returns the config and the name.
func harnessConfig(cfg, cmdline, kernel string) (string, string, error) {
	if strings.TrimSpace(cfg) == "" {
		var b bytes.Buffer
		if err := templates.XLConfig(&b, templates.XLParams{Name: "unikgen", Kernel: "/kernel.elf", MemoryMiB: 64, VCPUs: 1}); err != nil {
			return "", "", err
		}
		cfg = b.String()
	}
	drop := map[string]bool{"kernel": true, "on_poweroff": true, "on_reboot": true, "on_crash": true, "vif": true, "disk": true, "tsc_mode": true}
	if cmdline != "" {
		drop["cmdline"] = true
		for _, r := range cmdline {
			if r < 0x20 || r == 0x7f {
				return "", "", fmt.Errorf("xenlab: cmdline contains the control character %q", r)
			}
		}
	}
	var out strings.Builder
	name := ""
	vif, disk := false, false
	for _, line := range strings.Split(cfg, "\n") {
		if m := keyLineRE.FindStringSubmatch(line); m != nil {
			vif = vif || m[1] == "vif"
			disk = disk || m[1] == "disk"
			if drop[m[1]] {
				continue
			}
			if m[1] == "name" {
				n := nameRE.FindStringSubmatch(strings.TrimSpace(line))
				if n == nil {
					return "", "", fmt.Errorf("xenlab: xl config: want name = \"NAME\" with NAME from [A-Za-z0-9_.-], got %q", line)
				}
				name = n[1]
			}
		}
		out.WriteString(line)
		out.WriteString("\n")
	}
	if name == "" {
		return "", "", errors.New("xenlab: xl config has no name = \"...\" line")
	}
	s := strings.TrimRight(out.String(), "\n") + "\n"
	s += "# set by internal/xenlab:\n"
	s += "kernel = \"" + kernel + "\"\n"
	if vif {
		s += VifLine + "\n"
	}
	if disk {
		s += DiskLine + "\n"
	}
	if cmdline != "" {
		s += "cmdline = \"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(cmdline) + "\"\n"
	}
	s += "on_poweroff = \"preserve\"\non_reboot = \"preserve\"\non_crash = \"preserve\"\n"
	// QEMU's TCG emulation of SVM reports RDTSCP as an RDTSC intercept; Xen, which intercepts
	// RDTSC when it emulates the TSC, then finds the instruction mismatched and injects #GP
	// ("Insn mismatch: Expected opcode 0xf0031 ... SVM Insn len emulation failed", seen in the
	// Go runtime's cputicks). A native TSC is never intercepted.
	s += "tsc_mode = \"native\"\n"
	return s, name, nil
}
