package plan

import (
	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"testing"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

func TestCheck(t *testing.T) {
	tree := &Tree{}
	for _, tc := range []struct {
		s     Settings
		field string
	}{
		{Settings{}, ""},
		{Settings{Kernel: config.Kernel{Target: "qemu", Env: []string{"A=1"}}}, ""},
		{Settings{Kernel: config.Kernel{Target: "xen"}}, "Target"}, // no Xen platform in this tree
		{Settings{Kernel: config.Kernel{Target: "vmware"}}, "Target"},
		{Settings{Kernel: config.Kernel{MemoryMiB: -1}}, "MemoryMiB"},
		{Settings{Kernel: config.Kernel{Name: "a b"}}, "Name"},
		{Settings{Kernel: config.Kernel{Env: []string{"A=1", "B"}}}, "Env[1]"},
		{Settings{Kernel: config.Kernel{Args: make([]string, cmdline.MaxWords)}}, "Args"},
	} {
		err := Check(tc.s, tree)
		if got := ""; err != nil {
			got = err.(*Error).Field
			if got != tc.field {
				t.Errorf("Check(%+v) = %v, want field %q", tc.s, err, tc.field)
			}
		} else if tc.field != "" {
			t.Errorf("Check(%+v) = nil, want an error for %s", tc.s, tc.field)
		}
	}
	if err := Check(Settings{Kernel: config.Kernel{Target: "xen"}}, &Tree{Xen: true}); err != nil {
		t.Errorf("target xen with a Xen platform: %v", err)
	}
}

func TestMakeDefaults(t *testing.T) {
	tree := &Tree{Handlers: map[int]string{0: "Read", 1: "Write"}, Names: map[int]string{0: "read", 1: "write", 2: "open"}}
	p, err := Make("example.com/app/cmd/server", Settings{Kernel: config.Kernel{Args: []string{"x"}}}, tree, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "server" || p.Target != "any" || p.MemoryMiB != DefaultMemoryMiB || p.Cmdline != "-- x" {
		t.Errorf("defaults: name %q target %q memory %d cmdline %q", p.Name, p.Target, p.MemoryMiB, p.Cmdline)
	}
	if !p.Syscalls.All || len(p.Syscalls.Calls) != 2 || len(p.Syscalls.ENOSYS) != 0 {
		t.Errorf("generic table: %+v", p.Syscalls)
	}
	if _, err := Make("x", Settings{}, tree, nil, false); err == nil {
		t.Error("specialised plan without analysis: no error")
	}
}

// TestDefaultMemory: `unikgen run` boots QEMU with internal/host/qemu's default, the plan and the xl
// config use this one; they must agree.
func TestDefaultMemory(t *testing.T) {
	if DefaultMemoryMiB != qemu.DefaultMemoryMiB {
		t.Errorf("gen/plan.DefaultMemoryMiB %d, internal/host/qemu.DefaultMemoryMiB %d", DefaultMemoryMiB, qemu.DefaultMemoryMiB)
	}
}
