package syscalls

import (
	"testing"

	"github.com/unikgen/unikgen/runtime/sysno"
)

// TestAgreesWithLibraryOS checks that the analyser and the library OS
// (runtime/sysno, which the generated dispatch table uses) name every
// system call alike.
func TestAgreesWithLibraryOS(t *testing.T) {
	n := 0
	for _, e := range table {
		if e.Nr >= sysno.Max {
			continue
		}
		if got := sysno.Name(e.Nr); got != e.Name {
			t.Errorf("system call %d: analysis says %q, runtime/sysno says %q", e.Nr, e.Name, got)
		}
		n++
	}
	for nr := 0; nr < sysno.Max; nr++ {
		if name := sysno.Name(nr); name != "" && Name(nr) == "" {
			t.Errorf("system call %d (%s) is missing from the analysis table", nr, name)
		}
	}
	if n < 300 {
		t.Errorf("only %d numbers compared", n)
	}
}
