package xenlab

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/serial-poweroff.log is the serial log of a real run (the test kernel of
// pvhkernel_test.go, SHUTDOWN_poweroff, no exit status), token 18f399e763aa28d0.
func TestParseRealSerialLog(t *testing.T) {
	log, err := os.ReadFile("testdata/serial-poweroff.log")
	if err != nil {
		t.Fatal(err)
	}
	rep := parseSerial(log, "18f399e763aa28d0/0")
	if !rep.hasResult || !rep.hasConsole {
		t.Fatalf("result %v console %v, want both", rep.hasResult, rep.hasConsole)
	}
	var res Result
	rep.fill(&res)
	if got, want := string(res.Console), "xenlab test kernel: hello from PVH\n"; got != want {
		t.Errorf("console %q, want %q", got, want)
	}
	if res.Shutdown != "poweroff" || res.HasExitStatus || res.ExitStatus != NoExitStatus || res.StatusSource != "" {
		t.Errorf("shutdown %q status %d/%v/%q, want poweroff and no status", res.Shutdown, res.ExitStatus, res.HasExitStatus, res.StatusSource)
	}
	if res.Name != "unikgen" || res.Domid != 1 || res.XLCreateRC != 0 {
		t.Errorf("name %q domid %d rc %d", res.Name, res.Domid, res.XLCreateRC)
	}
	if res.GuestTime != 1230*time.Millisecond {
		t.Errorf("guest time %v, want 1.23s", res.GuestTime)
	}
	// Another token finds nothing.
	if rep := parseSerial(log, "0000000000000000/0"); rep.hasResult || rep.hasConsole {
		t.Error("markers with another token were accepted")
	}
}

// serial builds a serial log as dom0-init prints it: every "\n" of dom0 arrives as "\r\r\n".
func serial(token, console string, fields ...string) []byte {
	var b strings.Builder
	b.WriteString("init: xl create rc=0\n")
	b.WriteString("===== xenlab guest console " + token + " =====\n")
	b.WriteString(console + "\n")
	b.WriteString("===== xenlab end guest console " + token + " =====\n")
	b.WriteString("===== xenlab result " + token + " =====\n")
	for _, f := range fields {
		b.WriteString(f + "\n")
	}
	b.WriteString("===== xenlab end result " + token + " =====\ninit: done\n")
	s := strings.ReplaceAll(b.String(), "\n", "\r\r\n")
	return []byte("(XEN) Xen version 4.17\r\n" + s + "(XEN) Entering ACPI S5 state.\r\n")
}

func TestParseResults(t *testing.T) {
	const tok = "abcdef0123456789"
	list := func(state, reason string) string {
		return "xl-list=hello 1 64 1 " + state + " 0.3 8cab4910-d6be-40fe-8add-112014e41e5c " + reason + " -"
	}
	cases := []struct {
		name        string
		console     string
		fields      []string
		wantConsole string
		wantStatus  int
		wantSource  string
		wantDown    string
	}{
		{"xenstore status, poweroff", "hello\nunikgen: exit status 3\n",
			[]string{"fate=shutdown", list("---s--", "0"), "have-exit-status=1", "exit-status=7"},
			"hello\n", 7, "xenstore", "poweroff"},
		{"console status fallback", "hello\nunikgen: exit status 3",
			[]string{"fate=shutdown", list("---s--", "0"), "have-exit-status=0", "exit-status="},
			"hello\n", 3, "console", "poweroff"},
		{"status line not last is kept", "unikgen: exit status 3\nmore\n",
			[]string{"fate=shutdown", list("---s--", "0"), "have-exit-status=0"},
			"unikgen: exit status 3\nmore\n", NoExitStatus, "", "poweroff"},
		{"crash", "panic: boom\n",
			[]string{"fate=shutdown", list("----c-", "3"), "have-exit-status=1", "exit-status=2"},
			"panic: boom\n", 2, "xenstore", "crash"},
		{"crash from the state when no reason", "",
			[]string{"fate=shutdown", "xl-list=hello 1 64 1 ----c- 0.3"},
			"", NoExitStatus, "", "crash"},
		{"triple fault", "x", []string{"fate=shutdown", list("---s--", "1")}, "x", NoExitStatus, "", "reboot"},
		{"odd reason", "x", []string{"fate=shutdown", list("---s--", "1f")}, "x", NoExitStatus, "", "reason-31"},
		{"destroyed", "spinning\n", []string{"fate=destroyed", list("r-----", "-")}, "spinning\n", NoExitStatus, "", "destroyed"},
		{"gone", "", []string{"fate=gone", "xl-list="}, "", NoExitStatus, "", "gone"},
		{"unparsable status", "", []string{"fate=shutdown", list("---s--", "0"), "have-exit-status=1", "exit-status="},
			"", NoExitStatus, "", "poweroff"},
		{"guest CRLF kept, empty lines kept", "a\r\n\nb", []string{"fate=shutdown", list("---s--", "0")}, "a\r\n\nb", NoExitStatus, "", "poweroff"},
		{"forged markers in the console", "===== xenlab result 0000 =====\nexit-status=9\n===== xenlab end guest console 0000 =====\n",
			[]string{"fate=shutdown", list("---s--", "0")},
			"===== xenlab result 0000 =====\nexit-status=9\n===== xenlab end guest console 0000 =====\n", NoExitStatus, "", "poweroff"},
	}
	for _, c := range cases {
		log := serial(tok, c.console, append([]string{"xl-create-rc=0", "name=hello", "domid=1"}, c.fields...)...)
		rep := parseSerial(log, tok)
		if !rep.hasResult || !rep.hasConsole {
			t.Errorf("%s: result %v console %v", c.name, rep.hasResult, rep.hasConsole)
			continue
		}
		var res Result
		rep.fill(&res)
		if string(res.Console) != c.wantConsole {
			t.Errorf("%s: console %q, want %q", c.name, res.Console, c.wantConsole)
		}
		if res.ExitStatus != c.wantStatus || res.HasExitStatus != (c.wantStatus != NoExitStatus) || res.StatusSource != c.wantSource {
			t.Errorf("%s: status %d/%v/%q, want %d/%q", c.name, res.ExitStatus, res.HasExitStatus, res.StatusSource, c.wantStatus, c.wantSource)
		}
		if res.Shutdown != c.wantDown {
			t.Errorf("%s: shutdown %q, want %q", c.name, res.Shutdown, c.wantDown)
		}
	}
}

func TestParseDropsXenLinesAndIncompleteBlocks(t *testing.T) {
	const tok = "feedfeedfeedfeed"
	log := serial(tok, "one\n(XEN) d1v0 interleaved\ntwo", "fate=shutdown", "(XEN) x=y", "xl-list=a 1 64 1 ---s-- 0.1 u 0 -")
	rep := parseSerial(log, tok)
	if got := string(rep.console); got != "one\ntwo" {
		t.Errorf("console %q, want Xen's line dropped", got)
	}
	if _, ok := rep.fields["(XEN) x"]; ok {
		t.Error("a (XEN) line became a field")
	}
	// Cut off in the middle of the result block: no result, but the console is there.
	s := string(log)
	cut := []byte(s[:strings.Index(s, "fate=")])
	rep = parseSerial(cut, tok)
	if rep.hasResult || !rep.hasConsole {
		t.Errorf("truncated log: result %v console %v, want false true", rep.hasResult, rep.hasConsole)
	}
	// Cut off inside the console block: nothing.
	cut = []byte(s[:strings.Index(s, "===== xenlab end guest")])
	if rep = parseSerial(cut, tok); rep.hasResult || rep.hasConsole {
		t.Errorf("log cut in the console: result %v console %v", rep.hasResult, rep.hasConsole)
	}
}

func TestProgress(t *testing.T) {
	for _, c := range []struct{ log, want string }{
		{"", "nothing was printed"},
		{"(XEN) Xen version 4.17\n", "Xen started"},
		{"(XEN) x\nRun /init as init process\n", "did not reach xl create"},
		{"init: xl create /pvh.cfg\n", "running xl create"},
		{"init: xl create rc=0\n", "waiting for it to end"},
	} {
		if got := progress([]byte(c.log), "t"); !strings.Contains(got, c.want) {
			t.Errorf("progress(%q) = %q, want %q", c.log, got, c.want)
		}
	}
}

func TestResultStatus(t *testing.T) {
	ok := Result{Shutdown: "poweroff", HasExitStatus: true, ExitStatus: 3}
	if st, err := ok.Status(); st != 3 || err != nil {
		t.Errorf("Status() = %d, %v", st, err)
	}
	for _, r := range []Result{
		{Shutdown: "poweroff", ExitStatus: NoExitStatus},
		{Shutdown: "crash", HasExitStatus: true, ExitStatus: 2},
		{Shutdown: "destroyed", ExitStatus: NoExitStatus},
		{Shutdown: "reboot", ExitStatus: NoExitStatus},
	} {
		st, err := r.Status()
		var ge *GuestError
		if !errors.As(err, &ge) || ge.Shutdown != r.Shutdown || st != -1 {
			t.Errorf("%s: Status() = %d, %v", r.Shutdown, st, err)
		} else if !strings.Contains(err.Error(), r.Shutdown[:4]) && r.Shutdown != "reboot" {
			t.Errorf("%s: message %q", r.Shutdown, err)
		}
	}
}

func TestParseDom0Output(t *testing.T) {
	const id = "abcdef0123456789/1"
	var b strings.Builder
	b.WriteString("@@xenlab " + id + "@@ streamed\n")
	b.WriteString("===== xenlab guest console " + id + " =====\nguest says hi\n\n===== xenlab end guest console " + id + " =====\n")
	b.WriteString("===== xenlab dom0 output " + id + " =====\nclient: 500 ok\n(XEN) noise\n\n===== xenlab end dom0 output " + id + " =====\n")
	b.WriteString("===== xenlab result " + id + " =====\nxl-create-rc=0\nfate=gone\ndom0-status=3\n===== xenlab end result " + id + " =====\n")
	log := []byte(strings.ReplaceAll(b.String(), "\n", "\r\r\n"))
	rep := parseSerial(log, id)
	var res Result
	rep.fill(&res)
	if string(res.Console) != "guest says hi\n" || string(res.Dom0Output) != "client: 500 ok\n" || res.Dom0Status != 3 {
		t.Errorf("console %q dom0 %q status %d", res.Console, res.Dom0Output, res.Dom0Status)
	}
	// Another step's id finds nothing; a step without a script has no output and status -1.
	if rep := parseSerial(log, "abcdef0123456789/0"); rep.hasResult {
		t.Error("step 0 found in step 1's blocks")
	}
	rep = parseSerial(serial("tok", "x", "fate=shutdown"), "tok")
	rep.fill(&res)
	if res.Dom0Output != nil || res.Dom0Status != -1 {
		t.Errorf("no script: output %q status %d", res.Dom0Output, res.Dom0Status)
	}
}
