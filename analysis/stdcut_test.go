package analysis

import (
	"reflect"
	"testing"
)

func TestFuncPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"fmt.Println":                        "fmt",
		"(*net/http.Server).Serve":           "net/http",
		"(net.IP).String":                    "net",
		"example.com/app.main$1":             "example.com/app",
		"(*example.com/app/lib.T).M":         "example.com/app/lib",
		"slices.Sort[[]example.com/x.T int]": "slices",
		"println":                            "",
		"SYSCALL write":                      "",
		"runtime (assembly)":                 "",
	} {
		if got := FuncPackage(fn); got != want {
			t.Errorf("FuncPackage(%q) = %q, want %q", fn, got, want)
		}
	}
}

func TestCutAtStandard(t *testing.T) {
	const main = "example.com/app"
	p := Path{
		{Func: "example.com/app.main", Pos: "/src/app/main.go:3:1"},
		{Func: "net/http.ListenAndServe", Kind: "static", Pos: "/src/app/main.go:5:2"},
		{Func: "(*net/http.Server).Serve", Kind: "static", Pos: "$GOROOT/src/net/http/server.go:1:1"},
		{Func: "(example.com/app.handler).ServeHTTP", Kind: "interface"},
		{Func: "os.Open", Kind: "static"},
		{Func: "syscall.Open", Kind: "static"},
		{Func: "println", Kind: "builtin"},
	}
	want := Path{
		{Func: "example.com/app.main"},
		{Func: "net/http.ListenAndServe", Kind: "static"},
		{Func: "(example.com/app.handler).ServeHTTP", Kind: "interface"},
		{Func: "os.Open", Kind: "static"},
	}
	if got := CutAtStandard(p, main+"/cmd/x"); !reflect.DeepEqual(got, want) {
		t.Errorf("CutAtStandard =\n%v\nwant\n%v", got, want)
	}
	// A main module without a dot in its first element is not the standard library.
	q := Path{{Func: "app.main"}, {Func: "app/lib.F"}, {Func: "fmt.Println"}, {Func: "fmt.Fprintln"}}
	if got := CutAtStandard(q, "app"); len(got) != 3 {
		t.Errorf("main module app: %v, want app.main, app/lib.F, fmt.Println", got)
	}
	if CutAtStandard(nil, main) != nil {
		t.Errorf("nil path: not nil")
	}
}
