package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestCmdline(t *testing.T) {
	tests := []struct {
		env, args []string
		want      string
	}{
		{nil, nil, ``},
		{nil, []string{"a", "b"}, `-- a b`},
		{[]string{"K=V"}, nil, `K=V --`},
		{[]string{"K=V", "GODEBUG=gctrace=1"}, []string{"x"}, `K=V GODEBUG=gctrace=1 -- x`},
		{nil, []string{"hello world"}, `-- "hello world"`},
		{nil, []string{`say "hi"`}, `-- "say \"hi\""`},
		{nil, []string{`back\slash`}, `-- "back\\slash"`},
		{nil, []string{""}, `-- ""`},
		{nil, []string{"--", "K=V"}, `-- -- K=V`},
		{[]string{"MSG=a b"}, []string{"'single'"}, `"MSG=a b" -- 'single'`},
		{nil, []string{"tab\there", "ünï"}, "-- tab\there ünï"},
	}
	for _, tt := range tests {
		got, err := Cmdline(tt.env, tt.args)
		if err != nil {
			t.Errorf("Cmdline(%q, %q): %v", tt.env, tt.args, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Cmdline(%q, %q) = %s, want %s", tt.env, tt.args, got, tt.want)
		}
		env, args := SplitCmdline(got)
		if !slices.Equal(env, tt.env) || !slices.Equal(args, tt.args) {
			t.Errorf("SplitCmdline(%s) = %q, %q; want %q, %q", got, env, args, tt.env, tt.args)
		}
	}
}

// TestCmdlineRoundTrip checks that every word survives, whatever bytes it holds.
func TestCmdlineRoundTrip(t *testing.T) {
	alphabet := []string{"", " ", "  ", `"`, `\`, `\"`, `"\`, "=", "--", "a", "a b", `\\`, `""`, "x=y z"}
	for _, a := range alphabet {
		for _, b := range alphabet {
			args := []string{a, b, a + b}
			env := []string{"K=" + a + b}
			s, err := Cmdline(env, args)
			if err != nil {
				t.Fatal(err)
			}
			gotEnv, gotArgs := SplitCmdline(s)
			if !slices.Equal(gotEnv, env) || !slices.Equal(gotArgs, args) {
				t.Errorf("%s decodes to %q %q, want %q %q", s, gotEnv, gotArgs, env, args)
			}
		}
	}
}

func TestCmdlineErrors(t *testing.T) {
	tests := []struct {
		env, args []string
		want      string
	}{
		{[]string{"NOEQUALS"}, nil, `environment variable "NOEQUALS" is not of the form KEY=VALUE`},
		{[]string{"=v"}, nil, `environment variable "=v" is not of the form KEY=VALUE`},
		{nil, []string{"a\x00b"}, `word "a\x00b" of the kernel command line contains a NUL byte`},
		{nil, make([]string, 300), "kernel command line has 301 words; the kernel reads at most 256"},
		{nil, []string{strings.Repeat("x", 5000)}, "kernel command line is 5003 bytes; the kernel reads at most 4095"},
	}
	for _, tt := range tests {
		_, err := Cmdline(tt.env, tt.args)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Cmdline(%.20q, %.20q) error = %v, want %q", tt.env, tt.args, err, tt.want)
		}
	}
}
