// This file implements the attribution of a component's private dependencies to it.

package kernelpicture

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/internal/libos"
)

// Owners returns the packages that belong to one component although they are not below its
// package: those that only that component's packages import, directly or not (gvisor.dev/gvisor
// for the network component). It lists the import graph with go list, run in dir with env after
// libos.BuildEnv, from the main package mainPkg and the library OS's boot package, whose imports
// of component packages (its generated composition root) are cut. comps maps each component to
// its package; components without a package of their own own nothing here.
func Owners(ctx context.Context, dir string, env []string, mainPkg string, comps map[string]string) (map[string]string, error) {
	owner := map[string]string{} // component package -> component
	roots := []string{mainPkg, libos.BootPackage}
	for name, p := range comps {
		if p != "" {
			owner[p] = name
			roots = append(roots, p)
		}
	}
	sort.Strings(roots[2:])
	args := append([]string{"list", "-e", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, roots...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(cmd.Environ(), libos.BuildEnv()...), env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	// componentOf returns the component whose package p is or is below.
	componentOf := func(p string) string {
		best := ""
		for cp, name := range owner {
			if (p == cp || strings.HasPrefix(p, cp+"/")) && len(cp) > len(comps[best]) {
				best = name
			}
		}
		return best
	}
	// reach marks what root reaches without entering another component's packages.
	reach := func(root, self string) map[string]bool {
		seen := map[string]bool{}
		stack := []string{root}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[p] {
				continue
			}
			if c := componentOf(p); c != "" && c != self {
				continue
			}
			seen[p] = true
			stack = append(stack, imports[p]...)
		}
		return seen
	}
	core := reach(mainPkg, "")
	for p := range reach(libos.BootPackage, "") {
		core[p] = true
	}
	users := map[string][]string{} // package -> the components that reach it
	for cp, name := range owner {
		for p := range reach(cp, name) {
			if !core[p] && componentOf(p) == "" {
				users[p] = append(users[p], name)
			}
		}
	}
	out2 := map[string]string{}
	for p, us := range users {
		if len(us) == 1 {
			out2[p] = us[0]
		}
	}
	return out2, nil
}
