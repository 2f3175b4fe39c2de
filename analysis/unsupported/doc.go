// Package unsupported finds uses of APIs that a unikernel cannot provide.
//
// A unikgen kernel runs one program in one address space: there is no
// second process to create, wait for, trace or exec into, no dynamic loader
// for plugins, and no C toolchain for cgo. The APIs are listed as data in
// Table (functions and system call numbers, by category).
//
// Check works on the whole reachable program (package reach): it reports
// each call in the user's module that leads to an unsupported API, at the
// position of that call (the innermost frame of the user's module on the
// path, so a helper in the user's code is blamed rather than main), with a
// shortest call path from main as evidence. Uses of cgo are reported at the
// `import "C"` of each file that the CGO_ENABLED=0 kernel build ignores.
//
// Analyzer is the same check as a modular golang.org/x/tools/go/analysis
// pass, for `go vet -vettool` and editors: it exports a fact for every
// function that reaches an unsupported API through static calls, and reports
// calls of such functions. Being modular it sees static calls only (not
// calls through interfaces or func values) and does not prune constant
// branches; the whole-program Check is the authority.
package unsupported
