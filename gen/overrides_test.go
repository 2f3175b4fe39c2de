package gen

import (
	"reflect"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/config"
)

// TestOverrides checks that every override replaces the config.Kernel field of its name with a
// value of that field's type, and names the flag that sets it, so that Overrides.apply cannot
// set the wrong field or panic.
func TestOverrides(t *testing.T) {
	kt := reflect.TypeOf(config.Kernel{})
	ot := reflect.TypeOf(Overrides{})
	for i := 0; i < ot.NumField(); i++ {
		f := ot.Field(i)
		kf, ok := kt.FieldByName(f.Name)
		switch {
		case !ok:
			t.Errorf("Overrides.%s: config.Kernel has no such field", f.Name)
		case f.Type.Kind() == reflect.Slice && f.Type != kf.Type: // added to, not replaced
			t.Errorf("Overrides.%s is %v, want %v", f.Name, f.Type, kf.Type)
		case f.Type.Kind() != reflect.Slice && f.Type != reflect.PointerTo(kf.Type):
			t.Errorf("Overrides.%s is %v, want *%v", f.Name, f.Type, kf.Type)
		case !strings.HasPrefix(f.Tag.Get("flag"), "-"):
			t.Errorf("Overrides.%s: no flag tag", f.Name)
		}
	}
	target, mem := config.Xen, 64
	k := config.Kernel{Target: config.QEMU, Name: "kept", MemoryMiB: 32}
	from := Overrides{Target: &target, MemoryMiB: &mem}.apply(&k)
	if k.Target != config.Xen || k.MemoryMiB != 64 || k.Name != "kept" {
		t.Errorf("applied: %+v", k)
	}
	if len(from) != 2 || from["Target"] != "-target" || from["MemoryMiB"] != "-m" {
		t.Errorf("from = %v", from)
	}
	// Volumes are added: one already configured is kept once, a new one is appended.
	k = config.Kernel{Volumes: []config.Volume{{Path: "/a"}}}
	from = Overrides{Volumes: []config.Volume{{Path: "/a"}, {Path: "/b"}}}.apply(&k)
	if len(k.Volumes) != 2 || k.Volumes[1].Path != "/b" || len(from) != 1 || from["Volumes[1]"] != "-volume" {
		t.Errorf("volumes applied: %+v, from = %v", k.Volumes, from)
	}
}
