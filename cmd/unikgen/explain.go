// This file implements "unikgen explain".

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/plan"
)

func runExplain(ctx context.Context, args []string) int {
	fs := newFlags("explain")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	why := fs.String("why", "", "print the call path from main to `NAME`: a component, capability, system call, function or package")
	pic := pictureFlags{
		size: fs.Bool("size", false, "build the image and print its file and memory bytes by section, component and package"),
		dot:  fs.Bool("dot", false, "print the component graph, each edge labelled with its witness, in Graphviz's DOT language"),
		html: fs.String("html", "", "build the image and write to `FILE` a self-contained page: a treemap of the image and the component graph with witnesses"),
	}
	gf := addGenFlags(fs)
	pkg, _, code := parseArgs(fs, args, false)
	if code < 0 {
		code = pic.check()
	}
	if code >= 0 {
		return code
	}
	o := gf.options(pkg)
	if *why != "" {
		o.Cache = nil // a cached analysis has no call graph to find paths in
	}
	r, code := generate(ctx, o)
	if code >= 0 {
		return code
	}
	if *why != "" {
		return explainWhy(os.Stdout, r, *why)
	}
	if pic.any() {
		return explainPictures(ctx, r, gf.options(pkg), pic)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r.Plan); err != nil {
			log.Print(err)
			return exitFailure
		}
	} else {
		printPlan(os.Stdout, r.Plan)
	}
	if len(r.Plan.Unsupported) > 0 {
		return exitFailure
	}
	return exitOK
}

// explainWhy prints the witness of a component, or asks the analysis for the path to name.
func explainWhy(w io.Writer, r *gen.Result, name string) int {
	if c, ok := r.Plan.Component(name); ok {
		fmt.Fprintf(w, "%s is %s: %s\n", c.Name, c.State(), c.Reason)
		printPath(w, c.Witness, "\t")
		printUnconfirmed(w, c, "\t")
		return exitOK
	}
	if r.Analysis == nil {
		log.Printf("-why %s: not a component, and a generic plan has no analysis", name)
		return exitFailure
	}
	p, err := r.Analysis.Why(name)
	if err != nil {
		log.Printf("-why: %v", err)
		return exitFailure
	}
	printPath(w, p, "")
	return exitOK
}

// printPlan prints p for people.
func printPlan(w io.Writer, p *plan.Plan) {
	kind := "specialised"
	if p.Generic {
		kind = "generic"
	}
	fmt.Fprintf(w, "kernel for %s (%s, target %s)\n", p.Package, kind, p.Target)
	fmt.Fprintf(w, "configure-time: name %q, debug-syscalls %v; deployment: %d MiB\n", p.Name, p.DebugSyscalls, p.MemoryMiB)
	fmt.Fprintf(w, "boot-time defaults: command line %q\n", p.Cmdline)
	if n := p.Network; n != nil {
		v4, dns := n.IPv4, strings.Join(n.DNS, ",")
		if v4 == "" {
			v4 = "dhcp"
		}
		fmt.Fprintf(w, "network (boot-time overridable): ipv4 %s gateway4 %q ipv6 %q gateway6 %q dns %q\n", v4, n.Gateway4, n.IPv6, n.Gateway6, dns)
	}
	for _, x := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}

	fmt.Fprintf(w, "\ncomponents:\n")
	for _, c := range p.Components {
		fmt.Fprintf(w, "  %-5s %-14s %s\n", c.State(), c.Name, c.Reason)
		printPath(w, c.Witness, "\t\t")
		printUnconfirmed(w, c, "\t\t")
	}

	sc := p.Syscalls
	fmt.Fprintf(w, "\nsystem calls: %d with a handler", len(sc.Calls))
	if sc.All {
		fmt.Fprintf(w, " (all: ")
		if p.Generic {
			fmt.Fprintf(w, "generic kernel)")
		} else {
			fmt.Fprintf(w, "the program can make a system call whose number is not a constant)")
		}
	}
	fmt.Fprintln(w)
	for _, c := range sc.Calls {
		fmt.Fprintf(w, "  %3d %-20s sys.%-18s %s\n", c.Nr, c.Name, c.Handler, strings.Join(c.By, ","))
	}
	for _, u := range sc.Unknown {
		fmt.Fprintf(w, "  non-constant system call number at %s in %s\n", relPaths(u.Pos), u.Func)
		printPath(w, u.Path, "\t\t")
	}
	if len(sc.ENOSYS) > 0 {
		fmt.Fprintf(w, "\nsystem calls without a handler (they fail with ENOSYS): %d\n", len(sc.ENOSYS))
		for _, c := range sc.ENOSYS {
			fmt.Fprintf(w, "  %3d %-20s %s\n", c.Nr, c.Name, strings.Join(c.By, ","))
		}
	}
	if r := p.Reflection; r != nil && r.AllMethods {
		fmt.Fprintf(w, "\nreflection: a non-constant Method/MethodByName is reachable, so the linker keeps every exported method:\n")
		printPath(w, r.Witness, "\t")
	}
	if len(p.Unsupported) > 0 {
		fmt.Fprintf(w, "\nunsupported (a kernel cannot be built):\n")
		for _, d := range p.Unsupported {
			fmt.Fprintln(w, relPaths(d.String()))
		}
	}
}

// printUnconfirmed says, for a component that is maybe in, which edge of its witness type flow
// did not confirm.
func printUnconfirmed(w io.Writer, c plan.Component, indent string) {
	i := c.Witness.Unconfirmed()
	if !c.Maybe || i < 0 {
		return
	}
	from, to := c.Witness[i-1], c.Witness[i]
	fmt.Fprintf(w, "%smaybe: every path to the use takes an edge that type flow did not confirm, as this one:\n", indent)
	fmt.Fprintf(w, "%s  %s --%s--> %s: no value of a type with that method or function flows to the call\n", indent, from.Func, to.Kind, to.Func)
}

// printPath prints a call path one function per line.
func printPath(w io.Writer, p analysis.Path, indent string) {
	for i, s := range p {
		arrow := ""
		if i > 0 {
			arrow = "--" + s.Kind + "--> "
		}
		pos := ""
		if s.Pos != "" {
			pos = " (" + relPaths(s.Pos) + ")"
		}
		fmt.Fprintf(w, "%s%s%s%s\n", indent, arrow, s.Func, pos)
	}
}
