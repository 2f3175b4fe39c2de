package plan

// This file checks boot-time defaults; they are encoded as a kernel command line by
// internal/host/qemu.Cmdline (docs/internals.md, "Boot command line").

import (
	"errors"
	"strings"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// MaxWords is the number of command-line words the kernel decodes (runtime/boot.maxWords).
const MaxWords = qemu.MaxWords

// CheckEnv validates one environment entry.
func CheckEnv(e string) error {
	k, _, ok := strings.Cut(e, "=")
	switch {
	case !ok:
		return errors.New("environment entry " + quote(e) + " is not KEY=VALUE")
	case k == "":
		return errors.New("environment entry " + quote(e) + " has an empty key")
	case k == "--" || strings.ContainsAny(k, " \x00"):
		return errors.New("environment entry " + quote(e) + " has an invalid key")
	}
	return nil
}

// Cmdline encodes env and args as the kernel's default command line.
func Cmdline(env, args []string) (string, error) { return qemu.Cmdline(env, args) }

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }
