package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// FuzzDefaultCmdline checks the default command line made from config.Kernel's Env and Args:
// every entry CheckEnv accepts is encoded (unless the line is too long or holds a NUL) and decodes,
// by the kernel's rules (internal/host/qemu.SplitCmdline, which runtime/boot's FuzzSplitCmdline ties
// to the kernel's decoder), to the same environment and arguments.
func FuzzDefaultCmdline(f *testing.F) {
	f.Add("GREETING=hi \"there\"", "-v\x1ftwo words")
	f.Add("A=\x1fB=c=d", "")
	f.Add("", "--\x1fA=1\x1f")
	f.Fuzz(func(t *testing.T, envs, args string) {
		var env, argv []string
		if envs != "" {
			env = strings.Split(envs, "\x1f")
		}
		if args != "" {
			argv = strings.Split(args, "\x1f")
		}
		for _, e := range env {
			if CheckEnv(e) != nil {
				return // config.Kernel reports it (gen: config.Kernel.Env[i])
			}
		}
		line, err := Cmdline(env, argv)
		if err != nil {
			long := len(env)+1+len(argv) > MaxWords || len(envs)+len(args) > qemu.MaxCmdline/3
			if !long && !strings.Contains(envs+args, "\x00") {
				t.Fatalf("Cmdline(%q, %q): %v", env, argv, err)
			}
			return
		}
		gotEnv, gotArgs := qemu.SplitCmdline(line)
		if len(env) == 0 && len(argv) == 0 {
			gotEnv, gotArgs = nil, nil // an empty line: the kernel keeps no default
		}
		if len(gotEnv) != len(env) || len(env) > 0 && !reflect.DeepEqual(gotEnv, env) ||
			len(gotArgs) != len(argv) || len(argv) > 0 && !reflect.DeepEqual(gotArgs, argv) {
			t.Fatalf("env %q args %q encoded as %q decode to env %q args %q", env, argv, line, gotEnv, gotArgs)
		}
	})
}
