package main

import (
	"strings"
	"testing"
)

func TestCommandHelp(t *testing.T) {
	u := usage()
	for _, name := range []string{"build", "run", "explain", "generate", "diff", "version", "help"} {
		h := commandHelp(u, name)
		if !strings.HasPrefix(h, name) || !strings.Contains(h, "\n\t") {
			t.Errorf("help %s: %q, want the command's line and its indented description", name, h)
		}
		if strings.Contains(h, "\n\n") {
			t.Errorf("help %s runs into the next paragraph:\n%s", name, h)
		}
	}
	if h := commandHelp(u, "bui"); h != "" {
		t.Errorf("help bui: %q, want nothing (not a command)", h)
	}
	if h := commandHelp(u, "run"); !strings.Contains(h, "-timeout D") || strings.Contains(h, "explain [") {
		t.Errorf("help run:\n%s", h)
	}
}

func TestVersionNote(t *testing.T) {
	if n := versionNote("unikgen_kernel.json", "v0.4.0", "v0.4.0"); n != "" {
		t.Errorf("same version: %q, want no note", n)
	}
	n := versionNote("./unikgen_kernel.json", "v0.3.0", "v0.4.0")
	if !strings.HasPrefix(n, "./unikgen_kernel.json was written by unikgen v0.3.0; this is unikgen v0.4.0:") {
		t.Errorf("other version: %q", n)
	}
	if n := versionNote("r.json", "", "devel"); !strings.Contains(n, "older than devel (the record names none)") {
		t.Errorf("no version: %q", n)
	}
}
