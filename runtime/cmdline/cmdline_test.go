package cmdline

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSplit decodes lines as the kernel does.
func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in        string
		env, args []string
	}{
		{``, nil, nil},
		{`a b  c`, nil, []string{"a", "b", "c"}},
		{`FOO=1 BAR=x -- -v "two words" "q\"uote" "back\\slash" ""`, []string{"FOO=1", "BAR=x"},
			[]string{"-v", "two words", `q"uote`, `back\slash`, ""}},
		{`-- only args`, nil, []string{"only", "args"}},
		{`notenv -- x`, nil, []string{"x"}},
		{`A="b c" -- x`, []string{"A=b c"}, []string{"x"}},
		{`x=1 y=2`, nil, []string{"x=1", "y=2"}}, // no "--": all arguments
		{`"unterminated word`, nil, []string{"unterminated word"}},
	} {
		env, args := Decode(c.in)
		if !reflect.DeepEqual(env, c.env) || !reflect.DeepEqual(args, c.args) {
			t.Errorf("%q: env %q args %q, want env %q args %q", c.in, env, args, c.env, c.args)
		}
	}
}

// TestSplitAllocates nothing: the kernel decodes its command line before the Go runtime runs.
func TestSplitNoAlloc(t *testing.T) {
	buf := []byte(`FOO=1 -- -v "two words"`)
	line := string(buf)
	if n := testing.AllocsPerRun(10, func() {
		copy(buf, line)
		words, n := Split(buf)
		SplitEnv(buf, words[:n])
	}); n != 0 {
		t.Errorf("Split and SplitEnv allocate %v times", n)
	}
}

func TestEncode(t *testing.T) {
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
		got, err := Encode(tt.env, tt.args)
		if err != nil {
			t.Errorf("Encode(%q, %q): %v", tt.env, tt.args, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Encode(%q, %q) = %s, want %s", tt.env, tt.args, got, tt.want)
		}
		env, args := Decode(got)
		if !slices.Equal(env, tt.env) || !slices.Equal(args, tt.args) {
			t.Errorf("Decode(%s) = %q, %q; want %q, %q", got, env, args, tt.env, tt.args)
		}
	}
}

// TestEncodeRoundTrip checks that every word survives, whatever bytes it holds.
func TestEncodeRoundTrip(t *testing.T) {
	alphabet := []string{"", " ", "  ", `"`, `\`, `\"`, `"\`, "=", "--", "a", "a b", `\\`, `""`, "x=y z"}
	for _, a := range alphabet {
		for _, b := range alphabet {
			args := []string{a, b, a + b}
			env := []string{"K=" + a + b}
			s, err := Encode(env, args)
			if err != nil {
				t.Fatal(err)
			}
			gotEnv, gotArgs := Decode(s)
			if !slices.Equal(gotEnv, env) || !slices.Equal(gotArgs, args) {
				t.Errorf("%s decodes to %q %q, want %q %q", s, gotEnv, gotArgs, env, args)
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		env, args []string
		want      string
	}{
		{[]string{"NOEQUALS"}, nil, `environment entry "NOEQUALS" is not KEY=VALUE`},
		{[]string{"=v"}, nil, `environment entry "=v" has an empty key`},
		{[]string{"A B=v"}, nil, `environment entry "A B=v" has an invalid key`},
		{[]string{"--=v"}, nil, `environment entry "--=v" has an invalid key`},
		{nil, []string{"a\x00b"}, `word "a\x00b" of the kernel command line contains a NUL byte`},
		{nil, make([]string, 300), "kernel command line has 301 words; the kernel reads at most 256"},
		{nil, []string{strings.Repeat("x", 5000)}, "kernel command line is 5003 bytes; the kernel reads at most 4095"},
	}
	for _, tt := range tests {
		_, err := Encode(tt.env, tt.args)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Encode(%.20q, %.20q) error = %v, want %q", tt.env, tt.args, err, tt.want)
		}
	}
	// The longest line the kernel reads whole is accepted.
	long := strings.Repeat("x", MaxBytes-3)
	if s, err := Encode(nil, []string{long}); err != nil || len(s) != MaxBytes {
		t.Errorf("Encode of a %d-byte line: %d bytes, %v", MaxBytes, len(s), err)
	}
}
