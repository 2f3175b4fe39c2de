//unikgen:program

// This file implements the host's side of the codec: encoding, and decoding into strings.

package cmdline

import (
	"errors"
	"strconv"
	"strings"
)

// CheckEnv validates one environment entry: KEY=VALUE with a non-empty key that holds no space
// or NUL and is not "--" (the kernel would read it as the separator).
func CheckEnv(e string) error {
	k, _, ok := strings.Cut(e, "=")
	switch {
	case !ok:
		return errors.New("environment entry " + strconv.Quote(e) + " is not KEY=VALUE")
	case k == "":
		return errors.New("environment entry " + strconv.Quote(e) + " has an empty key")
	case k == "--" || strings.ContainsAny(k, " \x00"):
		return errors.New("environment entry " + strconv.Quote(e) + " has an invalid key")
	}
	return nil
}

// Encode encodes environment variables (KEY=VALUE, see CheckEnv) and program arguments
// (os.Args[1:]) as a kernel command line: "ENV... -- ARGS...". A word is written in double
// quotes, with " and \ escaped as \" and \\, when it is empty or contains a space, a quote or a
// backslash. The separator "--" is always written unless both lists are empty, so an argument
// that looks like KEY=VALUE or "--" stays an argument. With no environment and no arguments the
// command line is empty, and the kernel uses the default baked in at build time. A line the
// kernel would not read whole (more than MaxWords words or MaxBytes bytes, or a NUL byte) is an
// error.
func Encode(env, args []string) (string, error) {
	if len(env) == 0 && len(args) == 0 {
		return "", nil
	}
	words := make([]string, 0, len(env)+1+len(args))
	for _, kv := range env {
		if err := CheckEnv(kv); err != nil {
			return "", err
		}
		words = append(words, kv)
	}
	words = append(words, "--")
	words = append(words, args...)
	if len(words) > MaxWords {
		return "", errors.New("kernel command line has " + strconv.Itoa(len(words)) + " words; the kernel reads at most " + strconv.Itoa(MaxWords))
	}
	var b strings.Builder
	for i, w := range words {
		if strings.IndexByte(w, 0) >= 0 {
			return "", errors.New("word " + strconv.Quote(w) + " of the kernel command line contains a NUL byte")
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(w))
	}
	if b.Len() > MaxBytes {
		return "", &TooLongError{Bytes: b.Len()}
	}
	return b.String(), nil
}

// TooLongError is a command line longer than the kernel reads (MaxBytes).
type TooLongError struct{ Bytes int }

func (e *TooLongError) Error() string {
	return "kernel command line is " + strconv.Itoa(e.Bytes) + " bytes; the kernel reads at most " + strconv.Itoa(MaxBytes)
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

// Decode decodes a command line as the kernel does (Split and SplitEnv on the first MaxBytes
// bytes) and returns the environment and the arguments.
func Decode(s string) (env, args []string) {
	if len(s) > MaxBytes {
		s = s[:MaxBytes]
	}
	buf := []byte(s)
	words, n := Split(buf)
	e, a := SplitEnv(buf, words[:n])
	for _, w := range e {
		env = append(env, string(buf[w.Start:w.End]))
	}
	for _, w := range a {
		args = append(args, string(buf[w.Start:w.End]))
	}
	return env, args
}
