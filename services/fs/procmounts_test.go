package fs

import "testing"

// TestProcMounts: /proc/self/mounts and mountinfo list the mounts the root first, with each
// one's type, options and device; Mounts lists their paths in that order.
func TestProcMounts(t *testing.T) {
	v := newTestVFS(t)
	if got, want := string(mounts(v)), "rootfs / rootfs rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n"; got != want {
		t.Errorf("mounts:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(mountinfo(v)), "1 0 0:1 / / rw - rootfs rootfs rw\n2 1 0:2 / /tmp rw - tmpfs tmpfs rw\n"; got != want {
		t.Errorf("mountinfo:\n%s\nwant\n%s", got, want)
	}
	if got := v.Mounts(); len(got) != 2 || got[0] != "/" || got[1] != "/tmp" {
		t.Errorf("Mounts = %q, want [/ /tmp]", got)
	}
}
