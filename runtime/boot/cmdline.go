package boot

// The kernel command line (docs/internals.md, "Boot command line"): words separated by spaces; a
// word may be double-quoted, with \" and \\ inside quotes; KEY=VALUE words before a lone "--" are
// environment variables; the words after it are the program's arguments. Without "--" every word
// is an argument.

const maxWords = 256

// word is a [start, end) range of the decoded command line buffer.
type word struct{ start, end int }

// splitCmdline decodes the words of cmdline in place and returns them; quoted text is unquoted
// into the same buffer (decoding never makes text longer).
func splitCmdline(buf []byte) (words [maxWords]word, n int) {
	r, w := 0, 0
	for r < len(buf) && n < maxWords {
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
		words[n] = word{start, w}
		n++
	}
	return words, n
}

// splitEnv returns the index of the first argument word and the number of environment words:
// with a "--" word, the words before it are the environment.
func splitEnv(buf []byte, words []word) (env, args []word) {
	for i, wd := range words {
		if string(buf[wd.start:wd.end]) == "--" {
			env = words[:i]
			for k := range env {
				if !hasEq(buf[env[k].start:env[k].end]) {
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
