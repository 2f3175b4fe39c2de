package main

import (
	"strings"
	"testing"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/gen/plan"
)

// TestExplainMaybe checks that explain does not claim a component "in" on an edge type flow did
// not confirm: it says "maybe" and names that edge, in the plan and for -why.
func TestExplainMaybe(t *testing.T) {
	w := analysis.Path{
		{Func: "example.com/app.main"},
		{Func: "fmt.Println", Kind: "static"},
		{Func: "(*fmt.pp).handleMethods", Kind: "static"},
		{Func: "(*time.Location).String", Kind: "interface?"},
		{Func: "syscall.Open", Kind: "static"},
	}
	p := &plan.Plan{Package: "example.com/app", Target: "any", Components: []plan.Component{
		{Name: "files", In: true, Maybe: true, Reason: "the program uses files", Witness: w},
		{Name: "random", Reason: "the program reads no random numbers"},
		{Name: "console", In: true, Reason: "always"},
	}}
	var b strings.Builder
	printPlan(&b, p)
	out := b.String()
	for _, want := range []string{
		"  maybe files          the program uses files\n",
		"  out   random ",
		"  in    console ",
		"(*fmt.pp).handleMethods --interface?--> (*time.Location).String: no value",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if code := explainWhy(&b, &gen.Result{Plan: p}, "files"); code != exitOK {
		t.Errorf("-why files: exit %d", code)
	}
	if out := b.String(); !strings.HasPrefix(out, "files is maybe: ") || !strings.Contains(out, "--interface?--> (*time.Location).String: no value") {
		t.Errorf("-why files:\n%s", out)
	}
}
