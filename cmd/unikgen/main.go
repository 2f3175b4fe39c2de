// Command unikgen is the command-line front end of the unikgen libraries; doc.go is its usage.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
)

// A command is one subcommand. run returns the process exit status.
type command struct {
	name string
	run  func(ctx context.Context, args []string) int
}

// commands is the subcommand table.
var commands = []command{
	{"build", runBuild},
	{"run", runRun},
	{"test", runTest},
	{"explain", runExplain}, {"generate", runGenerate}, {"diff", runDiff},
}

// Exit statuses shared by the subcommands.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitTimeout = 124 // as timeout(1)
)

//go:embed doc.go
var docSource string

// usage is the comment of doc.go.
func usage() string {
	_, s, _ := strings.Cut(docSource, "/*\n")
	s, _, _ = strings.Cut(s, "*/")
	return s
}

func main() {
	log.SetPrefix("unikgen: ")
	log.SetFlags(0)
	ctx, stop := signalContext()
	removeGoTemp := goTempDir()
	code := dispatch(ctx, os.Args[1:])
	removeGoTemp()
	if c, ok := interruption(ctx); ok {
		code = c
	}
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage())
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		fmt.Fprint(os.Stdout, usage())
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, args[1:])
		}
	}
	log.Printf("unknown command %q; run 'unikgen help'", name)
	return exitUsage
}

// newFlags returns a flag set whose errors print "unikgen: " and the error, then the usage of the
// command, and exit 2.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package writes only its error message to Output (Usage writes the rest).
	fs.SetOutput(&prefixWriter{w: os.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage of unikgen %s (see 'unikgen help'):\n", name)
		out := fs.Output()
		fs.SetOutput(os.Stderr)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
	return fs
}

// prefixWriter writes each message it is given with the prefix of unikgen's messages.
type prefixWriter struct{ w io.Writer }

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, prefixMessages(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}
