package shutdown

import (
	"testing"

	"github.com/unikgen/unikgen/drivers/xen/console"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
	"github.com/unikgen/unikgen/drivers/xen/xentest"
)

func TestStatusLine(t *testing.T) {
	var buf [64]byte
	for _, tt := range []struct {
		status int
		want   string
	}{
		{0, "unikgen: exit status 0\n"},
		{3, "unikgen: exit status 3\n"},
		{255, "unikgen: exit status 255\n"},
		{-2, "unikgen: exit status -2\n"},
	} {
		if got := string(buf[:statusLine(buf[:], tt.status)]); got != tt.want {
			t.Errorf("statusLine(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

// TestExitWithoutXen checks that Exit publishes the status through fake backends and returns
// when there is no hypervisor to power off.
func TestExitWithoutXen(t *testing.T) {
	c := xentest.NewConsole()
	c.ConsumeLimit = 4 // Flush must wait for the backend
	s := xentest.NewStore(5)
	console.Setup(c.Addr(), 1, c.Notify, c.Wait)
	xenstore.Setup(s.Addr(), 2, s.Notify, s.Wait)
	t.Cleanup(func() { xenstore.Setup(0, 0, nil, nil) })

	console.WriteString("last words\n")
	Exit(42) // returns: Poweroff fails with -ENOSYS on the host

	if c.Pending() != 0 {
		t.Fatalf("%d console bytes not flushed", c.Pending())
	}
	if got := c.Output(); got != "last words\nunikgen: exit status 42\n" {
		t.Fatalf("console %q", got)
	}
	if v, _ := s.Get(xenstore.ExitStatusPath); v != "42" {
		t.Fatalf("xenstore exit status %q", v)
	}
	Crash()
	Reboot()
}
