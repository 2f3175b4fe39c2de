package sysno

import "testing"

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		name string
		nr   int
	}{
		{"read", SYS_READ}, {"mmap", 9}, {"clone", 56}, {"futex", 202}, {"exit_group", 231},
		{"openat", 257}, {"epoll_pwait", 281}, {"eventfd2", 290}, {"prlimit64", 302},
		{"getrandom", 318}, {"rseq", 334}, {"clone3", 435}, {"mseal", 462},
	} {
		if c.nr != func() int { n, _ := Number(c.name); return n }() || Name(c.nr) != c.name {
			t.Errorf("%s: Number=%v Name(%d)=%q", c.name, c.nr, c.nr, Name(c.nr))
		}
	}
	if Name(400) != "" || Name(-1) != "" || Name(Max) != "" {
		t.Errorf("unknown numbers must have no name")
	}
}
