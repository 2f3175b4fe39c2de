package reach

import "testing"

func TestPathUnconfirmed(t *testing.T) {
	for _, tc := range []struct {
		kinds []string
		want  int
	}{
		{[]string{"", "static", "interface", "dynamic"}, -1},
		{[]string{"", "static", "interface?", "dynamic?"}, 2},
		{[]string{"", "dynamic?"}, 1},
		{[]string{"", "linkname", "reflect-call"}, 2},
		{[]string{"", "reflect", "asm"}, -1},
		{nil, -1},
	} {
		var p Path
		for _, k := range tc.kinds {
			p = append(p, Step{Func: "f", Kind: k})
		}
		if got := p.Unconfirmed(); got != tc.want {
			t.Errorf("%v: Unconfirmed() = %d, want %d", tc.kinds, got, tc.want)
		}
	}
}
