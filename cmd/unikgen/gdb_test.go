package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/internal/testenv"
)

// gdbProgram is the program TestRunGDB debugs: a package-level variable to read at the breakpoint
// on main.main, and output that shows it ran to the end afterwards.
const gdbProgram = `package main

import "fmt"

var counter = 41

func main() {
	counter++ // gdbprog: the line after the breakpoint
	fmt.Println("gdbprog: counter", counter)
}
`

// TestRunGDB debugs a kernel under TCG the way run -gdb tells a user to: in a module of its own
// (which requires the library OS through a replace directive), it runs the printed gdb command
// line in a shell, in batch mode, to break on main.main, read a package-level variable, list the
// source (mapped back from -trimpath's import paths: the program's, the standard library's and the
// library OS's), and continue to the end; the kernel must then print what it prints and exit 0.
func TestRunGDB(t *testing.T) {
	t.Parallel()
	testenv.NeedBoot(t, "boots a kernel")
	if _, err := exec.LookPath("gdb"); err != nil {
		testenv.Missing(t, "gdb not found: install gdb (apt-get install gdb)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	testenv.WriteModule(t, dir, map[string]string{"cmd/gdbprog/main.go": gdbProgram})
	run := exec.CommandContext(ctx, unikgen, "run", "-gdb="+addr, "-timeout", "4m", "./cmd/gdbprog")
	run.Dir = dir
	var console bytes.Buffer
	run.Stdout = &console
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var gdbLine string
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if l, ok := strings.CutPrefix(sc.Text(), "\tgdb "); ok {
			gdbLine = "gdb " + l
			break
		}
	}
	if gdbLine == "" {
		run.Wait()
		t.Fatalf("run -gdb printed no gdb command line:\n%s", log.String())
	}
	done := make(chan struct{})
	go func() { // the rest of unikgen's messages
		defer close(done)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
		}
	}()
	if !strings.Contains(gdbLine, "'target remote "+addr+"'") {
		t.Errorf("the gdb command line does not connect to %s: %s", addr, gdbLine)
	}

	batch := ` -batch -ex 'break main.main' -ex continue -ex 'print main.counter' -ex 'list main.main' -ex 'list fmt.Println' -ex 'list github.com/unikgen/unikgen/runtime/boot.checkMemory' -ex continue`
	gdb := exec.CommandContext(ctx, "sh", "-c", gdbLine+batch)
	out, gdbErr := gdb.CombinedOutput()
	t.Logf("%s%s\n%s", gdbLine, batch, out)
	for _, want := range []string{
		"Breakpoint 1, main.main () at example.com/app/cmd/gdbprog/main.go:",
		"$1 = 41\n",
		"counter++ // gdbprog: the line after the breakpoint",   // the program's source, found
		"func Println(a ...any) (n int, err error) {",           // the standard library's
		"func checkMemory(info *bootInfo, loadedEnd uintptr) {", // the library OS's
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("gdb's output lacks %q", want)
		}
	}
	if gdbErr != nil && !strings.Contains(string(out), "exited with code") {
		t.Errorf("gdb: %v", gdbErr)
	}
	<-done // all of stderr read, as exec.Cmd.Wait requires
	err = run.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if code := run.ProcessState.ExitCode(); code != 0 {
		t.Errorf("unikgen run -gdb: exit %d, want 0\n%s", code, log.String())
	}
	if !strings.Contains(console.String(), "gdbprog: counter 42\n") {
		t.Errorf("the kernel did not run to the end after gdb continued: console %q", console.String())
	}
}
