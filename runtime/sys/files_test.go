package sys

import (
	"testing"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/sched"
)

// TestSpliceDeclined: splice(2) answers EINVAL for open descriptors, the one error on which Go's
// internal/poll copies through user memory instead (ENOSYS would end a TCP io.Copy with an
// error), and EBADF for a closed one.
func TestSpliceDeclined(t *testing.T) {
	fd.Init()
	for _, c := range []struct {
		in, out uint64
		want    int64
	}{
		{0, 1, -errno.EINVAL},
		{2, 1, -errno.EINVAL},
		{0, 99, -errno.EBADF},
		{99, 1, -errno.EBADF},
	} {
		r := &sched.Regs{RDI: c.in, RDX: c.out, R8: 65536}
		if got := Splice(r); got != c.want {
			t.Errorf("splice(%d, %d): %d, want %d", c.in, c.out, got, c.want)
		}
	}
}
