package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	const mod = "github.com/unikgen/unikgen"
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"work tree", debug.BuildInfo{Main: debug.Module{Path: mod, Version: "(devel)"}}, Devel},
		{"go install @v0.4.0", debug.BuildInfo{Main: debug.Module{Path: mod, Version: "v0.4.0"}}, "v0.4.0"},
		{"go tool", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{{Path: mod, Version: "v0.5.1"}}}, "v0.5.1"},
		{"go tool, replaced by a directory", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: mod, Version: "v0.5.1", Replace: &debug.Module{Path: "../unikgen"}}}}, Devel},
		{"elsewhere", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}}, Devel},
	} {
		if got := fromBuildInfo(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := String(); got != Devel {
		t.Errorf("String() in this repository's test = %q, want %q", got, Devel)
	}
}
