// This file implements the flags and error reporting shared by the commands that run the
// generator: explain, generate, diff and build.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/pipeline"
)

// genFlags are the generator's flags; set ones override the program's config.Kernel literal.
type genFlags struct {
	fs      *flag.FlagSet
	generic *bool
	target  *string
	name    *string
	debug   *bool
	rootfs  *string
	hostCA  *bool
	hostTZ  *bool
	tags    *string
	ldflags *string
	trace   *bool
	nocache *bool
}

func addGenFlags(fs *flag.FlagSet) *genFlags {
	return &genFlags{
		fs:      fs,
		generic: fs.Bool("generic", false, "link every component and every system call, without analysis"),
		target:  fs.String("target", "", "platform: qemu, xen or any (overrides config.Kernel.Target)"),
		name:    fs.String("name", "", "program name, os.Args[0] (overrides config.Kernel.Name)"),
		debug:   fs.Bool("debug-syscalls", false, "print the name of each system call answered with ENOSYS (overrides config.Kernel.DebugSyscalls)"),
		rootfs:  fs.String("rootfs", "", "bake the tree of `DIR` into the kernel as its read-only root file system (overrides config.Kernel.RootFS)"),
		hostCA:  fs.Bool("host-ca-bundle", false, "bake this machine's TLS root certificates into the root file system (/etc/ssl/certs/ca-certificates.crt)"),
		hostTZ:  fs.Bool("host-zoneinfo", false, "bake this machine's time zone database into the root file system (/usr/share/zoneinfo)"),
		tags:    fs.String("tags", "", "a comma-separated list of build `tags`, for the analysis and go build"),
		ldflags: fs.String("ldflags", "", "more go build -ldflags, after unikgen's own (for example \"-s -w\": no symbol table, no DWARF)"),
		trace:   fs.Bool("x", false, "print the go commands and the QEMU command line as they run"),
		nocache: fs.Bool("nocache", false, "analyse the program afresh, neither reading nor writing the analysis cache (also "+cache.EnvVar+"="+cache.Off+")"),
	}
}

// options returns the generator's options for pkg.
func (g *genFlags) options(pkg string) gen.Options {
	o := gen.Options{Package: pkg, Generic: *g.generic, HostCABundle: *g.hostCA, HostZoneinfo: *g.hostTZ}
	for _, t := range strings.Split(*g.tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.Tags = append(o.Tags, t)
		}
	}
	if !*g.nocache {
		st, err := cache.Open()
		if err != nil {
			log.Printf("warning: %v", err)
		}
		o.Cache = st
	}
	if *g.trace {
		o.Trace = printCommand
		o.Progress = func(msg string) { log.Print(msg) }
	}
	set := map[string]bool{}
	g.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["target"] {
		t := config.Target(*g.target)
		o.Overrides.Target = &t
	}
	if set["name"] {
		o.Overrides.Name = g.name
	}
	if set["debug-syscalls"] {
		o.Overrides.DebugSyscalls = g.debug
	}
	if set["rootfs"] {
		dir := *g.rootfs
		if abs, err := filepath.Abs(dir); err == nil && dir != "" {
			dir = abs
		}
		o.Overrides.RootFS = &dir
	}
	return o
}

// pipeline returns the pipeline's options for pkg.
func (g *genFlags) pipeline(pkg string) pipeline.Options {
	o := pipeline.Options{Gen: g.options(pkg), LDFlags: *g.ldflags}
	if *g.trace || stderrIsTerminal() {
		// Progress is for people watching: not in logs and pipes, unless -x asks for it.
		o.Progress = func(msg string) { log.Print(msg) }
	}
	if *g.trace {
		o.Trace = printCommand
	}
	return o
}

// stderrIsTerminal reports whether standard error is a terminal (a character device).
func stderrIsTerminal() bool {
	st, err := os.Stderr.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printCommand prints a command line on standard error, as go build -x does.
func printCommand(args []string) {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	fmt.Fprintln(os.Stderr, strings.Join(q, " "))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// generate runs the generator; on failure it reports the error and returns the exit status
// (2 for a configuration or load error, 1 otherwise), else -1.
func generate(ctx context.Context, o gen.Options) (*gen.Result, int) {
	r, err := gen.Generate(ctx, o)
	if r != nil && r.Cache.Warning != "" {
		log.Printf("warning: %s", r.Cache.Warning)
	}
	if err != nil {
		return nil, genFailed(ctx, err)
	}
	return r, -1
}

func genFailed(ctx context.Context, err error) int {
	if interrupted(ctx) {
		return exitFailure // main reports the interruption
	}
	var ce gen.ConfigErrors
	var le *gen.LoadError
	var ue *gen.UnsupportedError
	switch {
	case errors.As(err, &ce), errors.As(err, &le):
		printErr(err)
		return exitUsage
	case errors.As(err, &ue):
		printErr(err)
		log.Print("the program reaches APIs that a unikernel cannot provide (listed above)")
		return exitFailure
	}
	printErr(err)
	return exitFailure
}

// printErr prints a multi-line error to stderr, with the current directory shortened to "." and
// each message (a line that is not an indented continuation) prefixed "unikgen: ".
func printErr(err error) {
	os.Stderr.WriteString(prefixMessages(relPaths(err.Error())) + "\n")
}

// prefixMessages prefixes "unikgen: " to each line of s that does not start with a space or a tab,
// dropping the "-: " that go/packages writes for an error without a position.
func prefixMessages(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		lines[i] = "unikgen: " + strings.TrimPrefix(l, "-: ")
	}
	return strings.Join(lines, "\n")
}

// relPaths shortens absolute paths under the current directory, as the go command does.
func relPaths(s string) string {
	wd, err := os.Getwd()
	if err != nil || wd == "/" {
		return s
	}
	return strings.ReplaceAll(s, wd+string(filepath.Separator), "./")
}
