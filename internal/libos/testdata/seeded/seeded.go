// Package seeded holds one function per kind of code that TestNoAllocCatches expects the
// no-allocation check to report, and one that it must accept.
package seeded

var (
	sink    any
	ptr     *int
	handler func()
	buf     [32]byte
)

//go:noinline
func New() { ptr = new(int) }

//go:noinline
func Make(n int) []byte { return make([]byte, n) }

//go:noinline
func Append(b []byte) []byte { return append(b, 1, 2, 3) }

//go:noinline
func Map(k int) { m := map[int]int{}; m[k] = k; sink = len(m) }

//go:noinline
func Interface(v int) { sink = v }

//go:noinline
func Concat(a, b string) string { return a + b }

//go:noinline
func Closure(v int) { handler = func() { buf[0] = byte(v) } }

//go:noinline
func Go() { go func() {}() }

// Clean uses fixed arrays and integers only.
//
//go:noinline
func Clean(v int) int {
	buf[v&31] = byte(v)
	return int(buf[0])
}
