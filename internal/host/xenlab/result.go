package xenlab

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// ConsoleStatusPrefix starts the console line on which unikgen kernels repeat their exit status
// (drivers/xen/shutdown.StatusPrefix). Run strips that line from the end of Result.Console and uses
// it when xenstore has no status.
const ConsoleStatusPrefix = "unikgen: exit status "

// Markers dom0-init prints on the serial log; id is TOKEN/I: the per-run random token on dom0's
// kernel command line, so that nothing the guest prints can forge them, and the step's index.
func markers(token string) (conStart, conEnd, resStart, resEnd string) {
	return "===== xenlab guest console " + token + " =====\n",
		"\n===== xenlab end guest console " + token + " =====\n",
		"===== xenlab result " + token + " =====\n",
		"===== xenlab end result " + token + " ====="
}

// report is what dom0-init printed about a step.
type report struct {
	fields     map[string]string // key=value lines of the result block
	console    []byte            // guest console log, nil when its block is missing
	dom0       []byte            // the dom0 script's output, nil when its block is missing
	hasResult  bool
	hasConsole bool
}

// parseSerial extracts dom0-init's console and result blocks from the serial log. Lines Xen itself
// printed ("(XEN) ...") inside the blocks are dropped, and the "\r\r\n" that a "\n" of dom0 becomes on
// the serial port is turned back into "\n" (a guest's own "\r\n" stays "\r\n").
func parseSerial(log []byte, token string) report {
	// dom0's tty turns "\n" into "\r\n" and Xen's serial driver turns that into "\r\r\n".
	log = bytes.ReplaceAll(log, []byte("\r\r\n"), []byte("\n"))
	cs, ce, rs, re := markers(token)
	var r report
	resAt := bytes.LastIndex(log, []byte(rs))
	if resAt >= 0 {
		body := log[resAt+len(rs):]
		if end := bytes.Index(body, []byte(re)); end >= 0 {
			r.hasResult = true
			r.fields = map[string]string{}
			for _, line := range strings.Split(string(body[:end]), "\n") {
				line = strings.TrimRight(line, "\r")
				if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "(XEN)") {
					r.fields[k] = v
				}
			}
		}
	} else {
		resAt = len(log)
	}
	// The dom0 script's output sits between the console and the result.
	ds, de := "===== xenlab dom0 output "+token+" =====\n", "\n===== xenlab end dom0 output "+token+" =====\n"
	if at := bytes.LastIndex(log[:resAt], []byte(ds)); at >= 0 {
		body := log[at+len(ds) : resAt]
		if end := bytes.LastIndex(body, []byte(de)); end >= 0 {
			r.dom0 = dropXenLines(body[:end])
			resAt = at
		}
	}
	if at := bytes.Index(log[:resAt], []byte(cs)); at >= 0 {
		body := log[at+len(cs) : resAt]
		if end := bytes.LastIndex(body, []byte(ce)); end >= 0 {
			r.hasConsole = true
			// dom0-init ran `cat guest.log; echo; echo MARKER`: the newline that echo added is the
			// one that starts ce, so body[:end] is exactly the log.
			r.console = dropXenLines(body[:end])
		}
	}
	return r
}

func dropXenLines(b []byte) []byte {
	if !bytes.Contains(b, []byte("(XEN) ")) {
		return append([]byte(nil), b...)
	}
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("(XEN) ")) {
			out = append(out, line...)
		}
	}
	return out
}

// shutdownName maps Xen's SHUTDOWN_* codes (xen/include/public/sched.h) to names.
var shutdownNames = []string{"poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset"}

// fill sets the fields of res that come from the report.
func (r report) fill(res *Result) {
	res.Console = r.console
	f := r.fields
	res.Name = f["name"]
	res.Domid = -1
	if n, err := strconv.Atoi(f["domid"]); err == nil {
		res.Domid = n
	}
	res.XLCreateRC = -1
	if n, err := strconv.Atoi(f["xl-create-rc"]); err == nil {
		res.XLCreateRC = n
	}
	if a, err1 := strconv.ParseFloat(f["uptime-create"], 64); err1 == nil {
		if b, err2 := strconv.ParseFloat(f["uptime-end"], 64); err2 == nil && b >= a {
			res.GuestTime = time.Duration((b - a) * float64(time.Second))
		}
	}
	res.Shutdown = shutdownOf(f["fate"], f["xl-list"])
	res.Dom0Output, res.Dom0Status = r.dom0, -1
	if n, err := strconv.Atoi(f["dom0-status"]); err == nil {
		res.Dom0Status = n
	}
	res.ExitStatus = NoExitStatus
	if f["have-exit-status"] == "1" {
		if n, err := strconv.Atoi(f["exit-status"]); err == nil {
			res.ExitStatus, res.HasExitStatus, res.StatusSource = n, true, "xenstore"
		}
	}
	// The console status line: strip it from the end of the console output, use it as a fallback.
	c := bytes.TrimRight(res.Console, "\n")
	start := bytes.LastIndexByte(c, '\n') + 1
	if line := string(c[start:]); strings.HasPrefix(line, ConsoleStatusPrefix) {
		if n, err := strconv.Atoi(strings.TrimSpace(line[len(ConsoleStatusPrefix):])); err == nil {
			res.Console = res.Console[:start]
			if !res.HasExitStatus {
				res.ExitStatus, res.HasExitStatus, res.StatusSource = n, true, "console"
			}
		}
	}
}

// shutdownOf derives Result.Shutdown from dom0-init's fate and the domain's `xl list -v` line
// ("name id mem vcpus state time uuid reason-code ...", reason-code in hex or "-").
func shutdownOf(fate, xlList string) string {
	switch fate {
	case "destroyed":
		return "destroyed"
	case "gone":
		return "gone"
	case "shutdown":
	default:
		return "unknown"
	}
	fs := strings.Fields(xlList)
	if len(fs) >= 8 {
		if n, err := strconv.ParseUint(fs[7], 16, 32); err == nil {
			if n < uint64(len(shutdownNames)) {
				return shutdownNames[n]
			}
			return "reason-" + strconv.FormatUint(n, 10)
		}
	}
	if len(fs) >= 5 {
		if strings.Contains(fs[4], "c") {
			return "crash"
		}
	}
	return "shutdown"
}
