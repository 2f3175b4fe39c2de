package rootimg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

func TestBuildParse(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "www/css"), 0o755)
	os.WriteFile(filepath.Join(dir, "www/index.html"), []byte("<h1>hi</h1>\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "www/css/a.css"), []byte("body{}"), 0o600)
	os.Symlink("www/index.html", filepath.Join(dir, "index"))
	img, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	es, err := Parse(img)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Path+":"+string(e.Data))
	}
	want := "index:www/index.html www: www/css: www/css/a.css:body{} www/index.html:<h1>hi</h1>\n"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("entries %q, want %q", s, want)
	}
	for _, e := range es {
		if e.Path == "www/css/a.css" && e.Mode != TypeReg|0o600 {
			t.Errorf("a.css mode %#o", e.Mode)
		}
		if e.Path == "index" && e.Mode&TypeMask != TypeLink {
			t.Errorf("index is not a link: %#o", e.Mode)
		}
	}
}

func TestBuildRejectsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "fifo")
	if err := mkfifo(p); err != nil {
		testenv.Missing(t, "a FIFO in the temporary directory (mkfifo): %v", err)
	}
	_, err := Build(dir)
	if err == nil || !strings.Contains(err.Error(), "fifo") || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Build with a FIFO: %v, want an error naming it", err)
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Encode([]Entry{{Path: "a", Mode: TypeReg | 0o644, Data: []byte("abc")}})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"bad magic":    append([]byte("NOTROOT\n"), good[8:]...),
		"truncated":    good[:len(good)-10],
		"outside":      func() []byte { b := bytes.Clone(good); b[len(b)-3-8] = 0xff; return b }(),
		"short header": good[:5],
	}
	for name, img := range cases {
		if _, err := Parse(img); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "root file system image: ") {
			t.Errorf("%s: error %q does not say where", name, err)
		}
	}
	if _, err := Encode([]Entry{{Path: "../x", Mode: TypeReg}}); err == nil {
		t.Errorf("Encode accepted ../x")
	}
	dup, _ := Encode([]Entry{{Path: "a", Mode: TypeDir}, {Path: "a", Mode: TypeDir}})
	if _, err := Parse(dup); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate path: %v", err)
	}
}

// FuzzParse checks that no image makes Parse panic or return entries that break its promises:
// clean relative paths and data inside the image.
func FuzzParse(f *testing.F) {
	img, _ := Encode([]Entry{{Path: "etc", Mode: TypeDir | 0o755}, {Path: "etc/x", Mode: TypeReg | 0o644, Data: []byte("hello")},
		{Path: "l", Mode: TypeLink | 0o777, Data: []byte("etc/x")}})
	f.Add(img)
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := Parse(b)
		if err != nil {
			return
		}
		for _, e := range es {
			if checkPath(e.Path) != nil {
				t.Fatalf("bad path %q accepted", e.Path)
			}
			if len(e.Data) > len(b) {
				t.Fatalf("data longer than the image")
			}
		}
	})
}
