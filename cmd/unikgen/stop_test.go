package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
)

// startUnikgen starts unikgen in dir with TMPDIR set to a directory of its own, and returns the
// command, its stdout (a pipe, whose reading end is stdout.Close), stderr and that directory.
func startUnikgen(t *testing.T, dir string, args ...string) (cmd *exec.Cmd, stdout *pipeReader, stderr *bytes.Buffer, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	cmd = exec.Command(unikgen, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = new(bytes.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &pipeReader{bufio.NewReader(pipe), pipe}, stderr, tmp
}

// pipeReader reads lines from a pipe and closes its reading end.
type pipeReader struct {
	*bufio.Reader
	io.Closer
}

// waitExit waits up to 30 s for cmd and returns its exit status (-1 if a signal killed it).
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Error("unikgen still running 30 s after it should have stopped")
	}
	return cmd.ProcessState.ExitCode()
}

// qemuUsing returns the pids of the processes whose command line mentions dir: the QEMU that a
// unikgen started with TMPDIR=dir (its -kernel and status file are there).
func qemuUsing(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte("qemu")) && bytes.Contains(b, []byte(dir)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// checkStopped checks that no QEMU started with TMPDIR=tmp is left (killing any, by pid) and that
// tmp holds no file.
func checkStopped(t *testing.T, tmp string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // the kernel delivers PR_SET_PDEATHSIG asynchronously
	for _, pid := range qemuUsing(tmp) {
		t.Errorf("QEMU (pid %d) outlived unikgen", pid)
		syscall.Kill(pid, syscall.SIGKILL) // started by this test's unikgen
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("temporary files left behind: %s", strings.Join(names, ", "))
	}
}

const chattyApp = `package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("ready")
	for i := 0; ; i++ {
		fmt.Println("line", i)
		time.Sleep(time.Millisecond)
	}
}
`

// TestRunStdoutClosed runs a program that prints forever into a pipe that is closed after three
// lines, as in unikgen run . | head -3: unikgen stops QEMU, removes its files and exits 141, as a
// program killed by SIGPIPE.
func TestRunStdoutClosed(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	dir := appModule(t, chattyApp)
	cmd, stdout, stderr, tmp := startUnikgen(t, dir, "run", "-generic", "./cmd/app")
	for i := 0; i < 3; i++ {
		if _, err := stdout.ReadString('\n'); err != nil {
			t.Fatalf("reading line %d: %v; stderr:\n%s", i, err, stderr)
		}
	}
	stdout.Close() // as head does
	if code := waitExit(t, cmd); code != 141 {
		t.Errorf("exit %d, want 141; stderr:\n%s", code, stderr)
	}
	if want := "unikgen: standard output was closed; QEMU stopped\n"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q does not contain %q", stderr, want)
	}
	checkStopped(t, tmp)
}

// TestRunSignal sends SIGTERM, SIGINT and SIGHUP to unikgen while the guest runs: unikgen stops
// QEMU, removes its files, says so and exits 128 + the signal's number.
func TestRunSignal(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	dir := appModule(t, chattyApp)
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(signalName(s), func(t *testing.T) {
			cmd, stdout, stderr, tmp := startUnikgen(t, dir, "run", "-generic", "./cmd/app")
			for { // the program's first line (a generic kernel may print its network setup first)
				line, err := stdout.ReadString('\n')
				if err != nil {
					t.Fatalf("no line \"ready\": %v; stderr:\n%s", err, stderr)
				}
				if line == "ready\n" {
					break
				}
			}
			go func() { // keep QEMU's output flowing
				for {
					if _, err := stdout.ReadString('\n'); err != nil {
						return
					}
				}
			}()
			cmd.Process.Signal(s)
			if code, want := waitExit(t, cmd), 128+int(s); code != want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, want, stderr)
			}
			if want := "unikgen: interrupted by " + signalName(s) + "\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			checkStopped(t, tmp)
		})
	}
}

// waitSignalsHandled waits until a unikgen started with TMPDIR=tmp handles the stop signals: it
// makes its GOTMPDIR there (goTempDir) right after installing the handlers. A signal sent before
// that kills the process as SIGINT kills any program that has not started yet; on a busy host
// that took more than 300 ms after exec.
func waitSignalsHandled(t *testing.T, tmp string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(10 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(tmp, "unikgen-go-*")); len(m) > 0 {
			return
		}
	}
	t.Fatal("unikgen made no GOTMPDIR in its TMPDIR within 30 s")
}

// TestBuildInterrupted interrupts unikgen build while it analyses and builds a program, at a few
// moments after it handles signals: exit 130, one message, no image and no temporary file (go build's included).
func TestBuildInterrupted(t *testing.T) {
	t.Parallel()
	dir := appModule(t, "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":80\", nil) }\n")
	for _, delay := range []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second} {
		cmd, _, stderr, tmp := startUnikgen(t, dir, "build", "./cmd/app")
		waitSignalsHandled(t, tmp)
		time.Sleep(delay)
		if err := cmd.Process.Signal(syscall.SIGINT); errors.Is(err, os.ErrProcessDone) {
			t.Logf("after %v: the build had finished", delay)
			continue
		}
		if code := waitExit(t, cmd); code != 130 {
			t.Errorf("after %v: exit %d, want 130; stderr:\n%s", delay, code, stderr)
		}
		if want := "unikgen: interrupted by SIGINT\n"; stderr.String() != want {
			t.Errorf("after %v: stderr %q, want %q", delay, stderr, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "app.xen")); err == nil {
			t.Errorf("after %v: the interrupted build wrote app.xen", delay)
		}
		checkStopped(t, tmp)
	}
}
