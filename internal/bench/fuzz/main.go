// Command fuzz runs every go test fuzz target of the module, one after the other, each for a given
// time, and prints a table: target, executions, new corpus entries, result. CI runs it for a few
// seconds per target (.ci/run); run it for minutes to search (docs/benchmarks.md, "Fuzzing").
//
// Usage (from the module root):
//
//	go run ./internal/bench/fuzz [-d 5m] [-run REGEXP] [-parallel N] [DIR...]
//
// The targets are found in the _test.go files under each DIR (default: the module, without
// testdata directories): every func FuzzXxx(f *testing.F). Each runs as
//
//	go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime D [-parallel N] ./pkg
//
// A failing input is written by go test to pkg/testdata/fuzz/FuzzXxx/ and named in the table;
// commit it with the fix, so that plain go test runs it from then on. A run that fails without
// writing an input (go test's own failure at the end of -fuzztime, golang/go#51484) is run again,
// up to twice, and the table says so. A failed target's output ends the report, and the exit
// status is 1.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// target is one fuzz target: its package directory (./dir) and function name.
type target struct{ dir, name string }

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w*)\(\w+ \*testing\.F\)`)

// findTargets returns the fuzz targets of the _test.go files under roots, sorted.
func findTargets(roots []string) ([]target, error) {
	var ts []target
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != root && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range fuzzFunc.FindAllSubmatch(src, -1) {
				ts = append(ts, target{dir: "./" + filepath.ToSlash(filepath.Dir(p)), name: string(m[1])})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].dir != ts[j].dir {
			return ts[i].dir < ts[j].dir
		}
		return ts[i].name < ts[j].name
	})
	return ts, nil
}

// result is what one fuzzing run reported.
type result struct {
	execs, interesting string // from go test's last progress line
	crasher            string // the failing input's file, if any
	tail               string // the end of go test's output, kept when the run failed
	exit               string // the command and how it ended, when the run failed
	ok                 bool
	wall               time.Duration
}

var (
	progress = regexp.MustCompile(`execs: (\d+) .*new interesting: (\d+)`)
	failing  = regexp.MustCompile(`(?:Failing input written to|failure while testing seed corpus entry:) (\S+)`)
)

// fuzz runs one target, copying go test's output to log.
func fuzz(t target, d time.Duration, parallel int, log io.Writer) result {
	args := []string{"test", "-run", "^$", "-fuzz", "^" + t.name + "$", "-fuzztime", d.String()}
	if parallel > 0 {
		args = append(args, "-parallel", fmt.Sprint(parallel))
	}
	args = append(args, t.dir)
	cmd := exec.Command("go", args...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	err := cmd.Run()
	r := result{ok: err == nil, wall: time.Since(start), execs: "-", interesting: "-"}
	text := out.String()
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if m := progress.FindStringSubmatch(sc.Text()); m != nil {
			r.execs, r.interesting = m[1], m[2]
		}
		if m := failing.FindStringSubmatch(sc.Text()); m != nil {
			r.crasher = filepath.Join(t.dir, m[1])
		}
	}
	if err != nil {
		r.tail, r.exit = lastLines(text, 40), cmd.String()+": "+err.Error()
	}
	return r
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("fuzz: ")
	d := flag.Duration("d", 10*time.Second, "how long to fuzz each target")
	run := flag.String("run", "", "fuzz only the targets whose name matches `REGEXP`")
	parallel := flag.Int("parallel", 0, "fuzzing processes per target (go test -parallel; 0: GOMAXPROCS)")
	verbose := flag.Bool("v", false, "print go test's output")
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"."}
	}
	var filter *regexp.Regexp
	if *run != "" {
		var err error
		if filter, err = regexp.Compile(*run); err != nil {
			log.Fatalf("-run: %v", err)
		}
	}
	all, err := findTargets(roots)
	if err != nil {
		log.Fatal(err)
	}
	var ts []target
	for _, t := range all {
		if filter == nil || filter.MatchString(t.name) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		log.Fatal("no fuzz target found")
	}
	out := io.Discard
	if *verbose {
		out = os.Stderr
	}
	fmt.Printf("| package | target | time | executions | new inputs | result |\n|---|---|---:|---:|---:|---|\n")
	failed := 0
	var failures []string // the output of failed runs, printed after the table
	var retried []string  // the output of first runs that failed with no input, printed too
	for _, t := range ts {
		r := fuzz(t, *d, *parallel, out)
		status := "ok"
		// A failure that wrote no input is go test's, not the target's: its fuzzing engine can
		// exit non-zero when -fuzztime ends while a worker is mid-input ("context deadline
		// exceeded", golang/go#51484). The target runs again, up to twice, and fails only if
		// every run fails.
		for again := 1; !r.ok && r.crasher == "" && again <= 2; again++ {
			earlier := r
			if r = fuzz(t, *d, *parallel, out); r.ok {
				status = fmt.Sprintf("ok (run %d times: a run failed with no failing input: %s)", again+1, lastLine(earlier.tail))
				retried = append(retried, fmt.Sprintf("%s %s, run %d:\n%s\n%s", t.dir, t.name, again, earlier.tail, earlier.exit))
			} else {
				r.tail = earlier.tail + "\n" + earlier.exit + "\n--- run again:\n" + r.tail
			}
		}
		if !r.ok {
			failed++
			status = "FAIL"
			if r.crasher != "" {
				status += ": " + r.crasher
			}
		}
		fmt.Printf("| %s | %s | %.0f s | %s | %s | %s |\n", t.dir, t.name, r.wall.Seconds(), r.execs, r.interesting, status)
		if !r.ok {
			failures = append(failures, fmt.Sprintf("%s %s:\n%s\n%s", t.dir, t.name, r.tail, r.exit))
		}
	}
	for _, f := range retried {
		fmt.Fprintf(os.Stderr, "\n--- RUN AGAIN %s\n", f)
	}
	for _, f := range failures {
		fmt.Fprintf(os.Stderr, "\n--- FAIL %s\n", f)
	}
	if failed > 0 {
		log.Printf("%d of %d targets failed; rerun one with go test -run=NAME/INPUT ./pkg (see -v)", failed, len(ts))
		os.Exit(1)
	}
}

// lastLine returns the last line of go test's output in tail that says something, for a
// one-line note.
func lastLine(tail string) string {
	lines := strings.Split(strings.TrimSpace(tail), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "FAIL") && !strings.HasPrefix(l, "exit status") {
			return l
		}
	}
	return "no output"
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
