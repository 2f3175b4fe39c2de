// This file implements the kernel command line encoding of docs/internals.md.

package qemu

import (
	"fmt"
	"strings"
)

// Limits of the kernel's command line decoder (runtime/boot: maxCmdline, maxWords).
const (
	MaxCmdline = 4095
	MaxWords   = 256
)

// Cmdline encodes environment variables (KEY=VALUE) and program arguments (os.Args[1:]) as a
// kernel command line: "ENV... -- ARGS...". A word is written in double quotes, with " and \
// escaped as \" and \\, when it is empty or contains a space, a quote or a backslash. The
// separator "--" is always written unless both lists are empty, so an argument that looks like
// KEY=VALUE or "--" stays an argument. With no environment and no arguments the command line is
// empty, and the kernel uses the default baked in at build time.
func Cmdline(env, args []string) (string, error) {
	if len(env) == 0 && len(args) == 0 {
		return "", nil
	}
	words := make([]string, 0, len(env)+1+len(args))
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("environment variable %q is not of the form KEY=VALUE", kv)
		}
		words = append(words, kv)
	}
	words = append(words, "--")
	words = append(words, args...)
	if len(words) > MaxWords {
		return "", fmt.Errorf("kernel command line has %d words; the kernel reads at most %d", len(words), MaxWords)
	}
	var b strings.Builder
	for i, w := range words {
		if strings.IndexByte(w, 0) >= 0 {
			return "", fmt.Errorf("word %q of the kernel command line contains a NUL byte", w)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(w))
	}
	if b.Len() > MaxCmdline {
		return "", fmt.Errorf("kernel command line is %d bytes; the kernel reads at most %d", b.Len(), MaxCmdline)
	}
	return b.String(), nil
}

func quote(w string) string {
	if w != "" && !strings.ContainsAny(w, " \"\\") {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(w); i++ {
		if c := w[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(w[i])
	}
	b.WriteByte('"')
	return b.String()
}

// SplitCmdline decodes a kernel command line the way the kernel does (runtime/boot/cmdline.go):
// words separated by spaces, double quotes toggling quoting anywhere in a word, \" and \\ escapes
// inside quotes; words before the first "--" that contain '=' are the environment, up to the first
// one that does not. Without "--" every word is an argument. It exists to test [Cmdline] against
// the kernel's rules.
func SplitCmdline(s string) (env, args []string) {
	var words []string
	r := 0
	for r < len(s) {
		for r < len(s) && s[r] == ' ' {
			r++
		}
		if r == len(s) {
			break
		}
		var w []byte
		quoted := false
		for r < len(s) && (quoted || s[r] != ' ') {
			c := s[r]
			r++
			switch {
			case c == '"':
				quoted = !quoted
				continue
			case quoted && c == '\\' && r < len(s) && (s[r] == '"' || s[r] == '\\'):
				c = s[r]
				r++
			}
			w = append(w, c)
		}
		words = append(words, string(w))
	}
	for i, w := range words {
		if w == "--" {
			env = words[:i]
			for k, e := range env {
				if !strings.Contains(e, "=") {
					env = env[:k]
					break
				}
			}
			return env, words[i+1:]
		}
	}
	return nil, words
}
