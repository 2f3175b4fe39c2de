package boottest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/internal/testenv"
)

// spinEnv makes the test binary a CPU hog (see TestMain): TestClockRate loads the host with such
// processes while the guest runs.
const spinEnv = "UNIKGEN_BOOTTEST_SPIN"

// spin burns CPU until the process is killed.
func spin() {
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
		if x == 0 {
			fmt.Println(x)
		}
	}
}

// loadHost starts n processes that each keep a host CPU busy, and returns a function that kills
// them (by pid). They also die with the test binary (Pdeathsig).
func loadHost(t *testing.T, n int) (stop func()) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	for i := 0; i < n; i++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), spinEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	return func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}
}

// sleepLengths are the sleeps of the clockrate program after its ticks.
var sleepLengths = []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond,
	100 * time.Millisecond, 300 * time.Millisecond}

// hostSleeps measures, while the guest runs, how late the host itself ends sleeps of the same
// lengths: the part of a guest's lateness that the host's scheduler causes, which no kernel can
// avoid.
type hostSleeps struct {
	mu   sync.Mutex
	late map[time.Duration][]time.Duration
	stop chan struct{}
	done chan struct{}
}

func startHostSleeps() *hostSleeps {
	h := &hostSleeps{late: map[time.Duration][]time.Duration{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			for _, d := range sleepLengths {
				select {
				case <-h.stop:
					return
				default:
				}
				t0 := time.Now()
				time.Sleep(d)
				late := time.Since(t0) - d
				h.mu.Lock()
				h.late[d] = append(h.late[d], late)
				h.mu.Unlock()
			}
		}
	}()
	return h
}

// finish stops the measurement and returns the lateness of the host's sleeps by length.
func (h *hostSleeps) finish() map[time.Duration][]time.Duration {
	close(h.stop)
	<-h.done
	return h.late
}

// stampedLines records each console line with the host time at which it arrived.
type stampedLines struct {
	mu    sync.Mutex
	buf   []byte
	lines []stampedLine
	all   bytes.Buffer
}

type stampedLine struct {
	at   time.Time
	text string
}

func (w *stampedLines) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines = append(w.lines, stampedLine{now, string(w.buf[:i])})
		w.buf = w.buf[i+1:]
	}
}

// clockSample is one "tick" line: the guest's monotonic ns since its start, the host's ns since
// the first tick line arrived.
type clockSample struct {
	i            int
	guest, host  int64
	hostMinusGst int64
}

// clockRate is what TestClockRate measured.
type clockRate struct {
	rateErr   float64         // guest seconds per host second, minus 1
	late      []time.Duration // how late each tick's sleep ended, by the guest's clock
	sleeps    [][2]time.Duration
	samples   int
	hostSpan  time.Duration
	guestSpan time.Duration
}

// parseClockRate reads the clockrate program's output.
func parseClockRate(lines []stampedLine, period time.Duration) (clockRate, error) {
	var r clockRate
	var ss []clockSample
	var t0 time.Time
	for _, l := range lines {
		f := strings.Fields(l.text)
		switch {
		case len(f) == 3 && f[0] == "tick":
			i, err1 := strconv.Atoi(f[1])
			g, err2 := strconv.ParseInt(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				return r, fmt.Errorf("bad line %q", l.text)
			}
			if len(ss) == 0 {
				t0 = l.at
			}
			h := l.at.Sub(t0).Nanoseconds()
			ss = append(ss, clockSample{i, g, h, h - g})
			r.late = append(r.late, time.Duration(g)-time.Duration(i)*period)
		case len(f) == 3 && f[0] == "sleep":
			d, err1 := strconv.ParseInt(f[1], 10, 64)
			el, err2 := strconv.ParseInt(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				return r, fmt.Errorf("bad line %q", l.text)
			}
			r.sleeps = append(r.sleeps, [2]time.Duration{time.Duration(d), time.Duration(el)})
		}
	}
	if len(ss) < 20 {
		return r, fmt.Errorf("only %d tick lines", len(ss))
	}
	// A line reaches the host some time after the guest printed it, never before: host - guest
	// is a constant (the clocks' origins) plus a delay >= 0, plus the drift that is measured. The
	// smallest value among the first and among the last fifth of the lines has the least delay;
	// the drift between the two is the rate error.
	n := len(ss) / 5
	minOf := func(s []clockSample) clockSample {
		m := s[0]
		for _, x := range s[1:] {
			if x.hostMinusGst < m.hostMinusGst {
				m = x
			}
		}
		return m
	}
	a, b := minOf(ss[:n]), minOf(ss[len(ss)-n:])
	r.rateErr = float64(b.guest-a.guest)/float64(b.host-a.host) - 1
	r.samples = len(ss)
	r.hostSpan = time.Duration(ss[len(ss)-1].host)
	r.guestSpan = time.Duration(ss[len(ss)-1].guest - ss[0].guest)
	return r, nil
}

// sleepTolerance is how much longer than asked a sleep may last: 1% + 1 ms.
func sleepTolerance(d time.Duration) time.Duration { return d/100 + time.Millisecond }

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

// TestClockRate boots a program that prints its monotonic clock every 100 ms for 10 s while
// the host's CPUs are kept busy by other processes (one per CPU), timestamps each line on the
// host, and checks that the guest's clock runs at the host's rate (error below 0.1%) and that its
// sleeps last as long as asked (within 1% + 1 ms, not counting the host's scheduling delays).
// UNIKGEN_CLOCKRATE_LOAD=N sets the number of CPU hogs (0 for an idle host).
func TestClockRate(t *testing.T) {
	testenv.NeedBoot(t, "boots a kernel for 12 s")
	img := kernel(t, "internal/boottest/testdata/clockrate")
	load := runtime.NumCPU()
	if s := os.Getenv("UNIKGEN_CLOCKRATE_LOAD"); s != "" { // for measurements: 0 = an idle host
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			t.Fatalf("UNIKGEN_CLOCKRATE_LOAD=%q: want a number of CPU hogs", s)
		}
		load = n
	}
	stop := loadHost(t, load)
	defer stop()
	host := startHostSleeps()
	var out stampedLines
	res, err := qemu.Run(context.Background(), qemu.Config{Kernel: img, Console: &out, Timeout: 120 * time.Second})
	hostLate := host.finish()
	stop()
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, out.all.String())
	}
	if res.Status != 0 || !strings.HasSuffix(out.all.String(), "done\n") {
		t.Fatalf("exit status %d; console:\n%s", res.Status, out.all.String())
	}
	r, err := parseClockRate(out.lines, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("%v; console:\n%s", err, out.all.String())
	}
	t.Logf("%d CPU hogs; %d ticks over %v (host) / %v (guest): rate error %+.4f%%; tick lateness 25th %v, median %v, 90th %v, max %v",
		load, r.samples, r.hostSpan.Round(time.Millisecond), r.guestSpan.Round(time.Millisecond), 100*r.rateErr,
		percentile(r.late, 0.25), percentile(r.late, 0.5), percentile(r.late, 0.9), percentile(r.late, 1))
	if r.rateErr > 0.001 || r.rateErr < -0.001 {
		t.Errorf("the guest clock runs %+.3f%% off the host's (want within 0.1%%)", 100*r.rateErr)
	}
	// The host may deschedule the guest at any time, so a sleep can end late for reasons the guest
	// cannot help: on a shared 2-core host with 2 CPU hogs, even the test's own 100 ms sleeps end
	// a median 2.5 ms late, some 10 ms, and on a host busy with other work (other tests, builds)
	// much later. What the kernel must not add is a systematic delay (a timer or clock running at
	// the wrong rate makes every sleep late in proportion). So the bound is checked on the best
	// of the guest's sleeps of each length (and on the quarter of the ticks that were least
	// late), allowing for what the host did to its own sleeps of that length meanwhile (the same
	// statistic of a host goroutine's sleeps during the run). None may end early.
	hostAllowance := func(d time.Duration, p float64) time.Duration {
		if len(hostLate[d]) == 0 {
			return 0
		}
		return max(0, percentile(hostLate[d], p))
	}
	for i, l := range r.late {
		if l < 0 {
			t.Errorf("tick %d: the sleep ended %v early", i, -l)
		}
	}
	if q, allow := percentile(r.late, 0.25), sleepTolerance(100*time.Millisecond)+hostAllowance(100*time.Millisecond, 0.25); q > allow {
		t.Errorf("ticks: a quarter of the 100 ms sleeps lasted %v too long or more (want within %v: 1%% + 1 ms + the host's own lateness)", q, allow)
	}
	const sleepRounds = 15 // testdata/clockrate's
	byLength := map[time.Duration][]time.Duration{}
	for _, s := range r.sleeps {
		byLength[s[0]] = append(byLength[s[0]], s[1])
	}
	if len(r.sleeps) != sleepRounds*len(sleepLengths) {
		t.Fatalf("%d sleep lines, want %d for each of %v; console:\n%s", len(r.sleeps), sleepRounds, sleepLengths, out.all.String())
	}
	for _, d := range sleepLengths {
		els := byLength[d]
		if len(els) != sleepRounds {
			t.Fatalf("%d sleeps of %v, want %d; console:\n%s", len(els), d, sleepRounds, out.all.String())
		}
		for _, el := range els {
			if el < d {
				t.Errorf("sleep %v ended early, after %v", d, el)
			}
		}
		best := percentile(els, 0)
		allow := sleepTolerance(d) + hostAllowance(d, 0)
		t.Logf("sleep %v lasted %v; the host's own, %d times: late by at least %v, median %v",
			d, els, len(hostLate[d]), hostAllowance(d, 0), hostAllowance(d, 0.5))
		if best > d+allow {
			t.Errorf("sleep %v: the shortest of %d lasted %v (want within %v + %v: 1%% + 1 ms + the host's own lateness)", d, len(els), best, d, allow)
		}
	}
}
