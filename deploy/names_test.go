package deploy

import (
	"strings"
	"testing"
)

func TestDomainName(t *testing.T) {
	for in, want := range map[string]string{
		"hello":                 "hello",
		"web-1.test_a":          "web-1.test_a",
		"_app:1":                "app-1",
		"..x":                   "x",
		"café":                  "caf-",
		"":                      "unikgen",
		"___":                   "unikgen",
		strings.Repeat("a", 70): strings.Repeat("a", 64),
	} {
		if got := DomainName(in); got != want {
			t.Errorf("DomainName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestXLPath(t *testing.T) {
	for in, want := range map[string]string{
		"hello.xen":       "hello.xl",
		"/a/b.c/kernel":   "/a/b.c/kernel.xl",
		"out/custom.elf":  "out/custom.xl",
		"weird.xl":        "weird.xl.xl",
		"/x/hello.v2.xen": "/x/hello.v2.xl",
	} {
		if got := XLPath(in); got != want {
			t.Errorf("XLPath(%q) = %q, want %q", in, got, want)
		}
	}
}
