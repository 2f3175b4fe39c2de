package boot

import (
	"reflect"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/host/qemu"
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

// decode runs the kernel's decoder on line, as buildProcessStack does.
func decode(line string) (env, args []string, n int) {
	buf := []byte(line)
	words, n := splitCmdline(buf)
	e, a := splitEnv(buf, words[:n])
	for _, w := range e {
		env = append(env, string(buf[w.start:w.end]))
	}
	for _, w := range a {
		args = append(args, string(buf[w.start:w.end]))
	}
	return env, args, n
}

// FuzzCmdlineRoundTrip encodes an environment and arguments as the host does (internal/host/qemu, used
// by unikgen run and for config.Kernel's defaults) and decodes them as the kernel does: the kernel
// must get back exactly what was encoded, or the encoder must have refused it.
func FuzzCmdlineRoundTrip(f *testing.F) {
	f.Add("", "")
	f.Add("GREETING=hi there", "-m\x1fa \"b\"\x1f")
	f.Add("A=1\x1fB=", "--\x1fX=1\x1f\\\x1f\"")
	f.Add("K=\"quoted\" \\", "  \x1f\t\x1f")
	f.Fuzz(func(t *testing.T, envs, args string) {
		env, argv := fuzzList(envs), fuzzList(args)
		line, err := qemu.Cmdline(env, argv)
		if err != nil {
			return // refused (a NUL byte, a bad KEY=VALUE, too long): nothing reaches the kernel
		}
		if len(env) == 0 && len(argv) == 0 {
			if line != "" {
				t.Fatalf("Cmdline(nil, nil) = %q, want \"\" (the kernel's default)", line)
			}
			return
		}
		if len(line) > qemu.MaxCmdline {
			t.Fatalf("Cmdline gave %d bytes, more than the kernel reads (%d)", len(line), qemu.MaxCmdline)
		}
		gotEnv, gotArgs, _ := decode(line)
		if !sameList(gotEnv, env) || !sameList(gotArgs, argv) {
			t.Fatalf("env %q args %q encoded as %q decode to env %q args %q", env, argv, line, gotEnv, gotArgs)
		}
	})
}

// FuzzSplitCmdline decodes any command line the kernel can be given: the kernel's decoder must
// not fail, must stay within maxWords and the buffer, and must agree with the host's description
// of the rules (internal/host/qemu.SplitCmdline).
func FuzzSplitCmdline(f *testing.F) {
	f.Add(``)
	f.Add(`FOO=1 BAR=x -- -v "two words" "q\"uote" "back\\slash" ""`)
	f.Add(`"unterminated word`)
	f.Add(`a"b c"d \" "\x" --`)
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > qemu.MaxCmdline {
			return // the boot code truncates to the buffer first
		}
		env, args, n := decode(line)
		if n > maxWords {
			t.Fatalf("%d words, more than maxWords", n)
		}
		if n == maxWords {
			return // the kernel keeps the first maxWords words: compared only below the limit
		}
		wantEnv, wantArgs := qemu.SplitCmdline(line)
		if !sameList(env, wantEnv) || !sameList(args, wantArgs) {
			t.Fatalf("%q: kernel env %q args %q, internal/host/qemu env %q args %q", line, env, args, wantEnv, wantArgs)
		}
	})
}
