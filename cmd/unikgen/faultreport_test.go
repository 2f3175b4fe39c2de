package main

import (
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	tl := &tail{max: 8}
	for _, s := range []string{"abc", "defgh", "ijklmnop", "q"} {
		tl.Write([]byte(s))
	}
	if got := string(tl.buf); got != "jklmnopq" {
		t.Fatalf("tail kept %q", got)
	}
	if !strings.HasSuffix("abcdefghijklmnopq", string(tl.buf)) {
		t.Fatal("not the end")
	}
}
