package childproc

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// parentEnv makes the test binary act as a parent that starts a shell through Run and prints the
// pids of the shell and of its background child, then waits.
const parentEnv = "CHILDPROC_TEST_PARENT"

func TestMain(m *testing.M) {
	if os.Getenv(parentEnv) == "1" {
		cmd := Command(context.Background(), "/bin/sh", "-c", `sleep 600 & echo "$$ $!"; wait`)
		cmd.Stdout = os.Stdout
		Run(cmd, nil)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// alive reports whether pid is a process that has not been reaped (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// waitGone waits up to 5 s for the pids to end.
func waitGone(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL) // started by this test
				t.Errorf("process %d outlived its parent", pid)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestParentKilled kills (SIGKILL, no chance to clean up) a process that started a shell with Run:
// the shell dies with it (PR_SET_PDEATHSIG). Its background sleep is not killed by the kernel
// (only the direct child is), which is why QEMU's own children, if any, are reached through the
// process group on cancellation.
func TestParentKilled(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), parentEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("reading the pids: %v", err)
	}
	var shell, sleep int
	if _, err := fmt.Sscan(line, &shell, &sleep); err != nil {
		parent.Process.Kill()
		t.Fatalf("pids %q: %v", line, err)
	}
	defer syscall.Kill(sleep, syscall.SIGKILL) // the background sleep, started by this test's shell
	parent.Process.Kill()
	parent.Wait()
	waitGone(t, shell)
}

// TestCancelKillsGroup cancels the context of a shell that started a background sleep: both end.
func TestCancelKillsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "/bin/sh", "-c", `sleep 600 & echo "$!"; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = time.Second
	done := make(chan error, 1)
	var sleep int
	ownGroup := false
	go func() {
		done <- Run(cmd, func() {
			pgid, err := syscall.Getpgid(cmd.Process.Pid)
			ownGroup = err == nil && pgid == cmd.Process.Pid
			line, _ := bufio.NewReader(out).ReadString('\n')
			sleep, _ = strconv.Atoi(strings.TrimSpace(line))
			cancel()
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the cancellation")
	}
	if sleep == 0 {
		t.Fatal("no pid read")
	}
	if !ownGroup {
		t.Error("the child does not lead its own process group")
	}
	waitGone(t, sleep)
}
