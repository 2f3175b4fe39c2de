// Package reach computes which functions of a Go program can run, for a
// unikgen kernel.
//
// The algorithm is Rapid Type Analysis (Bacon and Sweeney, OOPSLA '96) over
// go/ssa, written for unikgen after golang.org/x/tools/go/callgraph/rta, with
// three extensions that bring it closer to what the Go linker keeps:
//
//  1. Constant branches are pruned. go/ssa does not fold "if false" (nor
//     runtime.GOOS == "windows", which go/types folds to a constant), so a
//     block is visited only if it is reachable from the entry block when each
//     *ssa.If with a constant condition follows only its taken edge.
//
//  2. The linker's reflection rule replaces RTA's. Stock RTA keeps every
//     exported method of every type converted to an interface. The linker
//     (cmd/link/internal/ld/deadcode.go) keeps such a method only if an
//     interface method of that name is called, unless the program calls
//     reflect's Type.Method, Value.Method, or MethodByName with a
//     non-constant name: then all exported methods of all runtime types are
//     kept. A constant MethodByName name keeps the methods of that name only.
//     Here, interface calls follow RTA (more precise than name matching), the
//     exported methods are kept only when such a reflect call is reachable,
//     and named methods only for constant names.
//
//  3. Edges that SSA cannot see are added: from a bodyless declaration to the
//     body linked under its symbol (//go:linkname pull and push, parsed from
//     the loaded syntax), from a declaration implemented in assembly to the
//     Go functions its assembly refers to, and from the runtime's own roots.
//     The runtime is treated as always live: every function with a body in
//     runtime and internal/runtime/... is a root (its real roots, rt0_go,
//     sysmon, the signal handlers and the calls the compiler inserts, are
//     not visible as SSA calls), as are the runtime's assembly-only symbols.
//
// The result records every call edge with its kind and position, so that a
// shortest path from main can be shown as the witness for any reachable
// function (static edges first, as cmd/deadcode -whylive does), and the
// assembly system calls of reachable functions.
//
// The analysis holds for one configuration (GOOS=linux, GOARCH=amd64,
// CGO_ENABLED=0 and one set of build tags).
package reach
