package plan

import (
	"testing"

	"github.com/unikgen/unikgen/analysis"
)

// TestMaybeComponents checks that a component decided by a use that the analysis is not sure of
// (every path takes an edge type flow did not confirm) is in and "maybe", with the witness that
// shows that edge; a certain use makes it plainly "in".
func TestMaybeComponents(t *testing.T) {
	tree := &Tree{Handlers: map[int]string{}, Names: map[int]string{}, Consts: map[int]string{}}
	unsure := analysis.Path{
		{Func: "example.com/app.main"},
		{Func: "fmt.Println", Kind: "static"},
		{Func: "(*time.Location).String", Kind: "interface?"},
		{Func: "syscall.Open", Kind: "static"},
	}
	sure := analysis.Path{{Func: "example.com/app.main"}, {Func: "os.Open", Kind: "static"}}
	for _, tc := range []struct {
		name               string
		caps               []analysis.Capability
		files, block, rand string
	}{
		{"unsure files", []analysis.Capability{{Name: "files", Witness: unsure, Uncertain: true}}, "maybe", "maybe", "out"},
		{"sure files", []analysis.Capability{{Name: "files", Witness: sure}}, "in", "in", "out"},
		{"unsure random", []analysis.Capability{{Name: "random", Witness: unsure, Uncertain: true}}, "out", "out", "maybe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &analysis.Result{Capabilities: tc.caps}
			p, err := Make("example.com/app", Settings{}, tree, res, false)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{"files": tc.files, "block": tc.block, "random": tc.rand} {
				c, ok := p.Component(name)
				if !ok {
					t.Fatalf("no component %s", name)
				}
				if got := c.State(); got != want {
					t.Errorf("%s: state %q, want %q (%+v)", name, got, want, c)
				}
				if c.Maybe && c.Witness.Unconfirmed() != 2 {
					t.Errorf("%s: maybe, but the witness's unconfirmed edge is at %d, want 2", name, c.Witness.Unconfirmed())
				}
				if want == "maybe" && !p.Has(name) {
					t.Errorf("%s: a maybe component must stay in the kernel", name)
				}
			}
		})
	}
}
