package boot

import (
	"reflect"
	"testing"
)

func TestCmdline(t *testing.T) {
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
		buf := []byte(c.in)
		words, n := splitCmdline(buf)
		env, args := splitEnv(buf, words[:n])
		var gotEnv, gotArgs []string
		for _, w := range env {
			gotEnv = append(gotEnv, string(buf[w.start:w.end]))
		}
		for _, w := range args {
			gotArgs = append(gotArgs, string(buf[w.start:w.end]))
		}
		if !reflect.DeepEqual(gotEnv, c.env) || !reflect.DeepEqual(gotArgs, c.args) {
			t.Errorf("%q: env %q args %q, want env %q args %q", c.in, gotEnv, gotArgs, c.env, c.args)
		}
	}
}
