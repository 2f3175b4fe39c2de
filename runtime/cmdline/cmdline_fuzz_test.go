package cmdline

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fuzzList splits a fuzzer string into a list at '\x1f' (unit separator); "" is the empty list.
func fuzzList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x1f")
}

// sameList compares lists, nil being the empty list.
func sameList(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// FuzzCmdlineRoundTrip encodes an environment and arguments as the host does (unikgen run,
// config.Kernel's defaults) and decodes them as the kernel does: the kernel must get back exactly
// what was encoded, or the encoder must have refused it.
func FuzzCmdlineRoundTrip(f *testing.F) {
	f.Add("", "")
	f.Add("GREETING=hi there", "-m\x1fa \"b\"\x1f")
	f.Add("A=1\x1fB=", "--\x1fX=1\x1f\\\x1f\"")
	f.Add("K=\"quoted\" \\", "  \x1f\t\x1f")
	f.Fuzz(func(t *testing.T, envs, args string) {
		env, argv := fuzzList(envs), fuzzList(args)
		line, err := Encode(env, argv)
		if err != nil {
			// Refused: nothing reaches the kernel. Only for a reason: a bad entry, a NUL byte, a
			// line too long (config.Kernel reports the entry: gen: config.Kernel.Env[i]).
			bad := strings.Contains(envs+args, "\x00") || len(env)+1+len(argv) > MaxWords || len(envs)+len(args) > MaxBytes/3
			for _, e := range env {
				bad = bad || CheckEnv(e) != nil
			}
			if !bad {
				t.Fatalf("Encode(%q, %q): %v", env, argv, err)
			}
			return
		}
		if len(env) == 0 && len(argv) == 0 {
			if line != "" {
				t.Fatalf("Encode(nil, nil) = %q, want \"\" (the kernel's default)", line)
			}
			return
		}
		if len(line) > MaxBytes {
			t.Fatalf("Encode gave %d bytes, more than the kernel reads (%d)", len(line), MaxBytes)
		}
		gotEnv, gotArgs := Decode(line)
		if !sameList(gotEnv, env) || !sameList(gotArgs, argv) {
			t.Fatalf("env %q args %q encoded as %q decode to env %q args %q", env, argv, line, gotEnv, gotArgs)
		}
	})
}

// FuzzSplitCmdline decodes any command line the kernel can be given: the decoder must not fail,
// must keep at most MaxWords words, each inside the buffer, in order and no longer than the
// text it came from; and what it decodes, encoded again, must decode the same.
func FuzzSplitCmdline(f *testing.F) {
	f.Add(``)
	f.Add(`FOO=1 BAR=x -- -v "two words" "q\"uote" "back\\slash" ""`)
	f.Add(`"unterminated word`)
	f.Add(`a"b c"d \" "\x" --`)
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > MaxBytes {
			return // the boot code cuts the line to its buffer first
		}
		buf := []byte(line)
		words, n := Split(buf)
		if n > MaxWords {
			t.Fatalf("%d words, more than MaxWords", n)
		}
		end := 0
		for _, w := range words[:n] {
			if w.Start < end || w.End < w.Start || w.End > len(line) {
				t.Fatalf("%q: word %+v out of order or outside the buffer", line, w)
			}
			end = w.End
		}
		env, args := Decode(line)
		if n == MaxWords || strings.ContainsRune(line, 0) {
			return // more words than the kernel keeps, or a NUL the encoder refuses
		}
		var kv []string
		for _, e := range env {
			if CheckEnv(e) != nil {
				return // an entry the encoder refuses (the kernel still passes it on)
			}
			kv = append(kv, e)
		}
		again, err := Encode(kv, args)
		var tooLong *TooLongError
		if errors.As(err, &tooLong) {
			return // quoting made it longer than the kernel reads (a backslash outside quotes doubles)
		}
		if err != nil {
			t.Fatalf("%q decodes to env %q args %q, which do not encode: %v", line, env, args, err)
		}
		env2, args2 := Decode(again)
		if len(kv) == 0 && len(args) == 0 {
			return // nothing to compare: an empty line means the built-in default
		}
		if !sameList(env2, env) || !sameList(args2, args) {
			t.Fatalf("%q: env %q args %q, re-encoded as %q: env %q args %q", line, env, args, again, env2, args2)
		}
	})
}
