// Package cmdline is the codec of the kernel command line (docs/internals.md, "Boot command
// line"), the one contract between the host, which encodes a program's environment and arguments
// (unikgen run, the boot-time defaults of config.Kernel, the Xen harness), and the kernel, which
// decodes them in place at boot (runtime/boot) into the program's environment and os.Args[1:].
//
// Words are separated by spaces; a word may be written in double quotes, inside which \" and \\
// stand for " and \. Words before a lone "--" that have the form KEY=VALUE are environment
// variables (up to the first one that does not); the words after "--" are the arguments. Without
// "--", every word is an argument. The kernel reads at most MaxBytes bytes and MaxWords words.
//
// Split and SplitEnv run in kernel context: they allocate nothing and decode into the caller's
// buffer. Encode, CheckEnv and Decode are for ordinary Go code (the host).
package cmdline

// Limits of the kernel's decoder.
const (
	// MaxBytes is the longest command line the kernel reads: its buffer (runtime/boot) holds
	// MaxBytes bytes and a NUL; the rest of a longer line is cut off.
	MaxBytes = 4095
	// MaxWords is the most words the kernel decodes; later words are ignored.
	MaxWords = 256
)

// A Word is the range [Start, End) of a decoded buffer.
type Word struct{ Start, End int }

// Split decodes the words of buf in place and returns them: quoted text is unquoted into the
// same buffer (decoding never makes text longer). It keeps the first MaxWords words.
func Split(buf []byte) (words [MaxWords]Word, n int) {
	r, w := 0, 0
	for r < len(buf) && n < MaxWords {
		for r < len(buf) && buf[r] == ' ' {
			r++
		}
		if r == len(buf) {
			break
		}
		start := w
		quoted := false
		for r < len(buf) && (quoted || buf[r] != ' ') {
			c := buf[r]
			r++
			switch {
			case c == '"':
				quoted = !quoted
				continue
			case quoted && c == '\\' && r < len(buf) && (buf[r] == '"' || buf[r] == '\\'):
				c = buf[r]
				r++
			}
			buf[w] = c
			w++
		}
		words[n] = Word{start, w}
		n++
	}
	return words, n
}

// SplitEnv splits the decoded words of buf into the environment and the arguments: with a "--"
// word, the KEY=VALUE words before it (up to the first that is not) are the environment and the
// words after it the arguments; without one, every word is an argument.
func SplitEnv(buf []byte, words []Word) (env, args []Word) {
	for i, wd := range words {
		if string(buf[wd.Start:wd.End]) == "--" {
			env = words[:i]
			for k := range env {
				if !hasEq(buf[env[k].Start:env[k].End]) {
					env = env[:k]
					break
				}
			}
			return env, words[i+1:]
		}
	}
	return nil, words
}

func hasEq(b []byte) bool {
	for _, c := range b {
		if c == '=' {
			return true
		}
	}
	return false
}
