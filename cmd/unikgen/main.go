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
	"runtime"
	"strings"

	"github.com/unikgen/unikgen/internal/version"
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
	{"version", runVersion},
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
		if name == "help" && len(args) > 1 {
			return helpCommand(ctx, args[1:])
		}
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

// helpOut receives the usage of a command's flags: stderr, or stdout for "unikgen help CMD".
var helpOut io.Writer = os.Stderr

// helpCommand prints, on stdout, the section of the usage that describes the command args[0]
// and its flags.
func helpCommand(ctx context.Context, args []string) int {
	if len(args) > 1 {
		log.Printf("help takes one command name; run 'unikgen help'")
		return exitUsage
	}
	name := args[0]
	text := commandHelp(usage(), name)
	if text == "" {
		log.Printf("help %s: unknown command; run 'unikgen help'", name)
		return exitUsage
	}
	fmt.Fprint(os.Stdout, text)
	for _, c := range commands {
		if c.name == name && name != "version" {
			helpOut = os.Stdout
			fmt.Fprintln(os.Stdout)
			c.run(ctx, []string{"-h"})
			helpOut = os.Stderr
		}
	}
	return exitOK
}

// commandHelp returns the paragraph of usage (doc.go) that describes the command name: its line,
// one tab in, and the lines indented deeper that follow, without the first tab.
func commandHelp(usage, name string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(usage, "\n") {
		top := strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "\t\t")
		switch {
		case top && (l == "\t"+name || strings.HasPrefix(l, "\t"+name+" ")):
			in = true
		case top || l != "" && !strings.HasPrefix(l, "\t"):
			in = false
		}
		if in && l != "" {
			b.WriteString(strings.TrimPrefix(l, "\t") + "\n")
		}
	}
	return b.String()
}

// runVersion implements "unikgen version".
func runVersion(ctx context.Context, args []string) int {
	fs := newFlags("version")
	if _, _, code := parseArgs(fs, args, false); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		log.Printf("version takes no arguments")
		return exitUsage
	}
	fmt.Printf("unikgen %s %s\n", version.String(), runtime.Version())
	return exitOK
}

// newFlags returns a flag set whose errors print "unikgen: " and the error, then the usage of the
// command, and exit 2.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package writes only its error message to Output (Usage writes the rest).
	fs.SetOutput(&prefixWriter{w: os.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(helpOut, "usage of unikgen %s (see 'unikgen help'):\n", name)
		out := fs.Output()
		fs.SetOutput(helpOut)
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
